using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace StyleBridge.Api.Tests;

/// <summary>A real <c>redis-server</c> on a free loopback port, persistence off, stopped with the fixture.</summary>
public sealed class RedisServer : IDisposable
{
    private Process? process;

    public RedisServer()
    {
        Port = FreePort();
        Start();
    }

    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port}";

    public void Start()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            info.ArgumentList.Add(a);
        process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start (is it installed? make test installs it)");
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var socket = new TcpClient();
                socket.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new TimeoutException($"redis-server did not listen on {Port}");
    }

    public void Stop()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            process.WaitForExit(5000);
        }
        process?.Dispose();
        process = null;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose() => Stop();
}

/// <summary>The Redis result cache: shared across service instances, and failing open when Redis is gone.</summary>
public sealed class RedisCacheTests
{
    [Fact]
    public async Task Results_are_shared_through_redis_and_the_service_fails_open_without_it()
    {
        using var redis = new RedisServer();
        var settings = new Dictionary<string, string?> { ["Cache:Redis"] = redis.ConnectionString };
        var body = new { prompt = "a green triangle at the top", num_images = 1, num_candidates = 2, seed = 21 };
        string first;
        await using (var factory = new ServiceFactory(settings))
        {
            var client = await factory.ReadyClientAsync();
            var miss = await client.PostJson("/generate", body);
            Assert.Equal("MISS", miss.Headers.GetValues("X-Cache").Single());
            first = (await miss.Json()).GetProperty("images").GetRawText();
        }

        // a new service instance reads what the first one stored
        await using (var factory = new ServiceFactory(settings))
        {
            var client = await factory.ReadyClientAsync();
            var hit = await client.PostJson("/generate", body);
            Assert.Equal("HIT", hit.Headers.GetValues("X-Cache").Single());
            Assert.Equal(first, (await hit.Json()).GetProperty("images").GetRawText());

            redis.Stop();
            var withoutRedis = await client.PostJson("/generate", body with { seed = 22 });
            Assert.Equal(System.Net.HttpStatusCode.OK, withoutRedis.StatusCode);
            Assert.Equal("MISS", withoutRedis.Headers.GetValues("X-Cache").Single());
            string metrics = await client.GetStringAsync("/metrics");
            Assert.Contains("result=\"error\"", metrics);
        }
    }
}
