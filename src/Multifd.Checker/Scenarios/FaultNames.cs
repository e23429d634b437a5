using System.Text.Json;
using Multifd.Simulation;

namespace Multifd.Checker.Scenarios;

/// <summary>Fault kinds as scenario files and reports write them ("main-channel-eof").</summary>
public static class FaultNames
{
    public static string Of(Fault fault) => JsonNamingPolicy.KebabCaseLower.ConvertName(fault.ToString());
}
