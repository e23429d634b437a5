using Multifd.Cli;

namespace Multifd.Checker.Tests.Cli;

public class ExitCodeTests
{
    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 2, 2)]
    [InlineData(2, 1, 2)]
    [InlineData(2, 3, 3)]
    [InlineData(3, 0, 3)]
    [InlineData(0, 0, 0)]
    public void WorstOfSeveralScenariosIsInternalThenBugThenBadInputThenPass(int a, int b, int worst) =>
        Assert.Equal(worst, ExitCodes.Worst(a, b));
}
