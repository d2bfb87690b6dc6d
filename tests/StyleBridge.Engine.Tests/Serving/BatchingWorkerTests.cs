using Microsoft.Extensions.Logging.Abstractions;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Engine.Tests.Serving;

public sealed class BatchingWorkerTests
{
    private static BatchingWorker NewWorker(out ServingTelemetry telemetry)
    {
        telemetry = new ServingTelemetry();
        return new BatchingWorker(new InferenceQueue(new ServingOptions()), [], telemetry, NullLogger<BatchingWorker>.Instance);
    }

    [Fact]
    public void Stop_EndsTheThread_AndMayBeCalledAgain()
    {
        // minimal hosting may stop the host and dispose the container in either order; a second stop must not throw
        var worker = NewWorker(out var telemetry);
        using var _ = telemetry;
        Assert.False(typeof(IDisposable).IsAssignableFrom(typeof(BatchingWorker)), "the container must not be able to stop the worker under the host's drain");
        worker.Start();
        Assert.True(SpinWait.SpinUntil(() => worker.IsRunning, TimeSpan.FromSeconds(5)));
        worker.Stop(TimeSpan.FromSeconds(5));
        Assert.False(worker.IsRunning);
        worker.Stop(TimeSpan.FromSeconds(1));
    }
}
