using System.Diagnostics;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace StyleBridge.Api.Tests;

/// <summary>
/// Offline checks of the deployment files: docker-compose.yml and the Kubernetes manifests parse and say what the
/// service needs (GPU, probes, ports, drain), and the publish output the Dockerfile copies builds with what it names.
/// </summary>
public sealed class DeployTests
{
    private static readonly string Root = ServiceFactory.RepositoryRoot();

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static IEnumerable<YamlMappingNode> LoadAll(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode);
    }

    private static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (string key in path)
            node = key.StartsWith('#') ? ((YamlSequenceNode)node).Children[int.Parse(key[1..], System.Globalization.CultureInfo.InvariantCulture)] : ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        return node;
    }

    private static string Scalar(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    /// <summary>The port the service listens on in the image (ASPNETCORE_URLS of Dockerfile.gpu).</summary>
    private static int ImagePort()
    {
        string dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile.gpu"));
        var match = System.Text.RegularExpressions.Regex.Match(dockerfile, @"ASPNETCORE_URLS=http://0\.0\.0\.0:(\d+)");
        Assert.True(match.Success, "Dockerfile.gpu sets ASPNETCORE_URLS");
        Assert.Contains($"EXPOSE {match.Groups[1].Value}", dockerfile);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Compose_runs_the_api_on_one_gpu_after_a_healthy_lru_redis()
    {
        var compose = Load(Path.Combine(Root, "docker-compose.yml"));
        var api = At(compose, "services", "api");
        Assert.Equal("Dockerfile.gpu", Scalar(api, "build", "dockerfile"));
        Assert.True(File.Exists(Path.Combine(Root, Scalar(api, "build", "dockerfile"))));
        var device = At(api, "deploy", "resources", "reservations", "devices", "#0");
        Assert.Equal("nvidia", Scalar(device, "driver"));
        Assert.Equal("1", Scalar(device, "count"));
        Assert.Equal($"{ImagePort()}", Scalar(api, "ports", "#0").Split(':')[1]);
        Assert.Equal("service_healthy", Scalar(api, "depends_on", "redis", "condition"));
        Assert.Contains("/health/live", At(api, "healthcheck", "test").ToString());
        Assert.Equal("redis:6379", Scalar(api, "environment", "Cache__Redis"));
        Assert.True(TimeSpan.FromSeconds(int.Parse(Scalar(api, "stop_grace_period").TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture)) > TimeSpan.FromMilliseconds(DrainMs()));

        var redis = At(compose, "services", "redis");
        string command = At(redis, "command").ToString();
        Assert.Contains("allkeys-lru", command);
        Assert.Contains("--maxmemory", command);
        Assert.Contains("--save", command);
        Assert.NotNull(At(redis, "healthcheck"));
        string prometheus = File.ReadAllText(Path.Combine(Root, "deploy", "observability", "prometheus.yml"));
        Assert.Contains($"api:{ImagePort()}", prometheus);
        Assert.Contains("/metrics", prometheus);
        Assert.NotNull(At(compose, "services", "otel-collector"));
    }

    private static int DrainMs()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "src", "StyleBridge.Api", "appsettings.json")));
        return settings.RootElement.GetProperty("Serving").GetProperty("DrainTimeoutMs").GetInt32();
    }

    [Fact]
    public void Kubernetes_manifests_request_a_gpu_probe_the_health_endpoints_and_fit_the_drain()
    {
        string dir = Path.Combine(Root, "deploy", "k8s");
        var kustomization = Load(Path.Combine(dir, "kustomization.yaml"));
        var resources = ((YamlSequenceNode)At(kustomization, "resources")).Children.Select(n => ((YamlScalarNode)n).Value!).ToList();
        var kinds = new Dictionary<string, YamlMappingNode>();
        foreach (string file in resources)
        {
            Assert.True(File.Exists(Path.Combine(dir, file)), $"kustomization names {file}");
            foreach (var doc in LoadAll(Path.Combine(dir, file)))
                kinds[Scalar(doc, "kind") + "/" + Scalar(doc, "metadata", "name")] = doc;
        }
        foreach (string expected in new[] { "Deployment/stylebridge-api", "Service/stylebridge-api", "HorizontalPodAutoscaler/stylebridge-api",
                     "PodDisruptionBudget/stylebridge-api", "ConfigMap/stylebridge-config", "Secret/stylebridge-api-keys", "Deployment/stylebridge-redis", "Service/stylebridge-redis" })
            Assert.True(kinds.ContainsKey(expected), $"missing {expected}");

        var deployment = kinds["Deployment/stylebridge-api"];
        var container = At(deployment, "spec", "template", "spec", "containers", "#0");
        Assert.Equal("1", Scalar(container, "resources", "limits", "nvidia.com/gpu"));
        Assert.Equal("/health/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/health/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal($"{ImagePort()}", Scalar(container, "ports", "#0", "containerPort"));
        Assert.NotNull(At(container, "lifecycle", "preStop"));
        int grace = int.Parse(Scalar(deployment, "spec", "template", "spec", "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace * 1000 > DrainMs() + 5000, "the grace period covers preStop and the drain");
        Assert.Equal("true", Scalar(At(container, "volumeMounts", "#0"), "readOnly"));

        var config = kinds["ConfigMap/stylebridge-config"];
        Assert.Equal($"http://0.0.0.0:{ImagePort()}", Scalar(config, "data", "ASPNETCORE_URLS"));
        Assert.Equal($"{DrainMs()}", Scalar(config, "data", "Serving__DrainTimeoutMs"));
        var hpa = kinds["HorizontalPodAutoscaler/stylebridge-api"];
        Assert.Equal("inference_queue_depth", Scalar(hpa, "spec", "metrics", "#0", "external", "metric", "name"));
        Assert.Equal("stylebridge-api", Scalar(hpa, "spec", "scaleTargetRef", "name"));
        string secretKey = Scalar(kinds["Secret/stylebridge-api-keys"], "stringData", "StyleBridge__ApiKeys__0");
        Assert.Matches("^[0-9a-f]{64}$", secretKey);
    }

    [Fact]
    public void The_publish_output_the_dockerfile_copies_builds_and_holds_the_default_models()
    {
        string dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile.gpu"));
        var project = System.Text.RegularExpressions.Regex.Match(dockerfile, @"dotnet publish (\S+\.csproj)").Groups[1].Value;
        var entry = System.Text.RegularExpressions.Regex.Match(dockerfile, @"ENTRYPOINT \[""dotnet"", ""([^""]+)""\]").Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(Root, project)), $"Dockerfile.gpu publishes {project}");
        string output = Directory.CreateTempSubdirectory("publish-").FullName;
        try
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
            foreach (string a in new[] { "publish", project, "-c", "Release", "-o", output, "-p:StyleBridgeLibStdCxxCompat=false", "-p:UseAppHost=false", "-nologo", "-v", "q" })
                info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            string log = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(600_000), "publish did not finish");
            Assert.True(process.ExitCode == 0, log);
            Assert.True(File.Exists(Path.Combine(output, entry)), $"the image's entry point {entry} is published");
            Assert.True(File.Exists(Path.Combine(output, "models", "shapes", "manifest.json")), "the Shapes models are baked in");
            Assert.True(File.Exists(Path.Combine(output, "wwwroot", "index.html")), "the playground is published");
            Assert.True(File.Exists(Path.Combine(output, "appsettings.json")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
