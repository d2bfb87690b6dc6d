using StyleBridge.Api.Services;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Tests;

public sealed class JobTests
{
    private static (Job Job, CancellationTokenSource Source) NewJob()
    {
        var source = new CancellationTokenSource();
        var item = new WorkItem<string>("generate", "payload", 1, "key", DateTimeOffset.UtcNow.AddMinutes(1), null, source.Token);
        return (new Job("id", "generate", item, source), source);
    }

    [Fact]
    public void A_cancel_reaches_the_work_until_the_source_is_released()
    {
        var (job, source) = NewJob();
        job.RequestCancel();
        Assert.True(source.IsCancellationRequested);
        job.ReleaseCancellation();
        Assert.Throws<ObjectDisposedException>(() => source.CancelAfter(1));
    }

    [Fact]
    public void A_cancel_after_the_release_is_a_no_op()
    {
        var (job, source) = NewJob();
        job.ReleaseCancellation();
        job.RequestCancel();
        job.ReleaseCancellation();
        Assert.False(source.IsCancellationRequested);
        Assert.Throws<ObjectDisposedException>(() => source.CancelAfter(1));
    }
}
