namespace Multifd.Specifications; internal static class Placeholder { }
