using System.Net;
using System.Net.Http.Headers;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Engine.Training;
using StyleBridge.Engine.World;
using StyleBridge.Imaging;

namespace StyleBridge.Api.Tests;

/// <summary>The three endpoints, jobs, caching, validation and the system endpoints through the real pipeline.</summary>
public sealed class ApiTests : IClassFixture<ApiTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public ServiceFactory Factory { get; } = new();
        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync() => Client = await Factory.ReadyClientAsync();

        public async Task DisposeAsync() => await Factory.DisposeAsync();
    }

    private readonly HttpClient client;

    public ApiTests(Fixture fixture) => client = fixture.Client;

    private static void AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cache_bypass_neither_reads_nor_writes_the_cache()
    {
        var body = new { prompt = "a cyan circle at the top", num_images = 1, num_candidates = 1, seed = 8080 };
        var bypassed = await client.PostJson("/generate", new { body.prompt, body.num_images, body.num_candidates, body.seed, cache = "bypass" });
        Assert.Equal(HttpStatusCode.OK, bypassed.StatusCode);
        Assert.Equal("BYPASS", bypassed.Headers.GetValues("X-Cache").Single());
        var used = await client.PostJson("/generate", body);
        Assert.Equal("MISS", used.Headers.GetValues("X-Cache").Single());
    }

    [Fact]
    public async Task Generate_answers_images_with_seeds_and_scores_and_caches_explicit_seeds()
    {
        var body = new { prompt = "a blue square on the left", num_images = 2, num_candidates = 4, seed = 11 };
        var first = await client.PostJson("/generate", body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("MISS", first.Headers.GetValues("X-Cache").Single());
        var json = await first.Json();
        var images = json.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(2, images.Count);
        Assert.True(images[0].GetProperty("clip_score").GetDouble() >= images[1].GetProperty("clip_score").GetDouble(), "best first");
        Assert.All(images, i => Assert.Equal("image/png", i.GetProperty("content_type").GetString()));
        var png = Convert.FromBase64String(images[0].GetProperty("data").GetString()!);
        Assert.Equal(0x89, png[0]);

        var second = await client.PostJson("/generate", body);
        Assert.Equal("HIT", second.Headers.GetValues("X-Cache").Single());
        Assert.Equal(json.GetProperty("images").GetRawText(), (await second.Json()).GetProperty("images").GetRawText());

        var random = await client.PostJson("/generate", new { prompt = "a blue square on the left", num_images = 1, num_candidates = 2 });
        Assert.Equal("BYPASS", random.Headers.GetValues("X-Cache").Single());
    }

    [Fact]
    public async Task The_served_default_draws_what_the_prompt_names_as_the_oracle_reads_it()
    {
        // the acceptance request: "a blue square on the left" with a seed, re-ranked over the service's 16 candidates
        var response = await client.PostJson("/generate", new { prompt = "a blue square on the left", num_images = 1, seed = 2026 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Json();
        Assert.Equal(16, json.GetProperty("parameters").GetProperty("num_candidates").GetInt32());
        var image = json.GetProperty("images")[0];
        var rgb = ImageDecoder.Decode(Convert.FromBase64String(image.GetProperty("data").GetString()!));

        // the oracle of the served set, through the model set's manifest check like every other model
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var oracle = OracleTrainer.Load(ModelSet.Open(ServiceFactory.ModelsDirectory).PathOf(ModelSet.OracleFile));
        var read = oracle.Predict(ImageTensors.ToTensor([rgb]));
        Assert.Equal((long)ShapeColour.Blue, read[0, (int)WorldAttribute.Colour]);
        Assert.Equal((long)Shape.Square, read[0, (int)WorldAttribute.Shape]);
        Assert.Equal((long)ShapePosition.Left, read[0, (int)WorldAttribute.Position]);
    }

    [Fact]
    public async Task An_absent_truncation_is_the_methods_default_and_the_response_says_which()
    {
        var prior = await (await client.PostJson("/generate", new { prompt = "a red circle", num_images = 1, num_candidates = 1, seed = 1 })).Json();
        Assert.Equal(1.0, prior.GetProperty("parameters").GetProperty("truncation_psi").GetDouble());

        var set = ModelSet.Open(ServiceFactory.ModelsDirectory);
        using var generator = set.LoadGenerator();
        using var mappers = StyleBridge.Models.Csla.CslaModel.FromFile(set.PathOf(ModelSet.CslaFile), generator);
        var csla = await (await client.PostJson("/generate", new { prompt = "a red circle", method = "csla", num_images = 1, num_candidates = 1, seed = 1 })).Json();
        Assert.Equal(mappers.Config.TextStrength, csla.GetProperty("parameters").GetProperty("truncation_psi").GetDouble());
        var own = await (await client.PostJson("/generate", new { prompt = "a red circle", method = "csla", num_images = 1, num_candidates = 1, seed = 1, truncation_psi = 0.5 })).Json();
        Assert.Equal(0.5, own.GetProperty("parameters").GetProperty("truncation_psi").GetDouble());
    }

    [Theory]
    [InlineData("{\"prompt\":\"\"}", "validation_failed")]
    [InlineData("{\"prompt\":\"a shape\",\"num_candidates\":17}", "validation_failed")]
    [InlineData("{\"prompt\":\"a shape\",\"num_inference_steps\":3}", "validation_failed")]
    [InlineData("{\"prompt\":\"a shape\",\"output_format\":\"gif\"}", "validation_failed")]
    [InlineData("{\"prompt\":\"a shape\",\"truncation_psi\":3}", "validation_failed")]
    public async Task Bad_generate_requests_are_422_problems(string json, string code)
    {
        var response = await client.PostAsync("/generate", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(code, (await response.Json()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_prompt_beyond_the_context_is_prompt_too_long()
    {
        var response = await client.PostJson("/generate", new { prompt = string.Join(" ", Enumerable.Repeat("a", 90)) });
        AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("prompt_too_long", (await response.Json()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        var response = await client.PostAsync("/generate", new StringContent("{\"prompt\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Invert_then_edit_the_latent_chains_without_re_encoding()
    {
        var invert = await client.PostJson("/invert", new { image = "data:image/png;base64," + Convert.ToBase64String(Http.SamplePng()) });
        Assert.Equal(HttpStatusCode.OK, invert.StatusCode);
        var json = await invert.Json();
        var latent = json.GetProperty("latents")[0].EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var shape = json.GetProperty("latent_shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal(shape[0] * shape[1], latent.Length);
        Assert.True(json.GetProperty("metrics").GetProperty("psnr_db").GetDouble() > 0);

        var edit = await client.PostJson("/edit", new { latent, source_text = "a red shape", target_text = "a blue shape", method = "csla", strengths = new[] { 0.5, 1.0 } });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal(2, (await edit.Json()).GetProperty("images").GetArrayLength());
    }

    [Fact]
    public async Task Invert_refines_one_w_for_every_layer_when_asked_for_W()
    {
        var image = "data:image/png;base64," + Convert.ToBase64String(Http.SamplePng(3));
        var invert = await client.PostJson("/invert", new { image, refine_steps = 3, refine_space = "w" });
        Assert.Equal(HttpStatusCode.OK, invert.StatusCode);
        var json = await invert.Json();
        Assert.Equal("w", json.GetProperty("parameters").GetProperty("refine_space").GetString());
        var latent = json.GetProperty("latents")[0].EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var shape = json.GetProperty("latent_shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var rows = latent.Chunk(shape[1]).ToList();
        Assert.Equal(shape[0], rows.Count);
        Assert.All(rows, row => Assert.Equal(rows[0], row));

        var inWPlus = await (await client.PostJson("/invert", new { image, refine_steps = 3 })).Json();
        Assert.Equal("w+", inWPlus.GetProperty("parameters").GetProperty("refine_space").GetString());
        var plusRows = inWPlus.GetProperty("latents")[0].EnumerateArray().Select(v => v.GetSingle()).Chunk(shape[1]).ToList();
        Assert.Contains(plusRows, row => !row.SequenceEqual(plusRows[0]));
    }

    [Fact]
    public async Task Refinement_options_are_checked_before_any_model_runs()
    {
        var image = "data:image/png;base64," + Convert.ToBase64String(Http.SamplePng());
        AssertProblem(await client.PostJson("/invert", new { image, refine_steps = 3, refine_space = "z" }), HttpStatusCode.UnprocessableEntity);
        AssertProblem(await client.PostJson("/edit", new { image, source_text = "a red shape", target_text = "a blue shape", refine_space = "s" }),
            HttpStatusCode.UnprocessableEntity);
        AssertProblem(await client.PostJson("/edit", new { image, source_text = "a red shape", target_text = "a blue shape", refine_steps = 501 }),
            HttpStatusCode.UnprocessableEntity);
        var layer = await client.PostJson("/edit", new { image, source_text = "a red shape", target_text = "a blue shape", first_layer = 99 });
        AssertProblem(layer, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("first_layer", (await layer.Json()).GetProperty("detail").GetString());
        var colour = await client.PostJson("/edit", new { image, source_text = "a red shape", target_text = "a blue shape", colour_layers = true });
        AssertProblem(colour, HttpStatusCode.UnprocessableEntity); // the installed generator records no colour layer
        Assert.Contains("colour_layers", (await colour.Json()).GetProperty("detail").GetString());
        var inverted = await (await client.PostJson("/invert", new { image })).Json();
        var latent = inverted.GetProperty("latents")[0].EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var refusal = await client.PostJson("/edit", new { latent, source_text = "a red shape", target_text = "a blue shape", refine_steps = 2 });
        AssertProblem(refusal, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("refine_steps", (await refusal.Json()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Edit_takes_a_multipart_upload()
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Http.SamplePng(2));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "image", "in.png");
        form.Add(new StringContent("a red shape"), "source_text");
        form.Add(new StringContent("a green shape"), "target_text");
        form.Add(new StringContent("csla"), "method");
        form.Add(new StringContent("true"), "include_reconstruction");
        var response = await client.PostAsync("/edit", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Json();
        Assert.Equal(1, json.GetProperty("images").GetArrayLength());
        Assert.True(json.TryGetProperty("reconstruction", out _));
    }

    [Fact]
    public async Task Images_that_do_not_decode_or_are_too_large_are_refused_before_any_model_runs()
    {
        var garbage = await client.PostJson("/invert", new { image = Convert.ToBase64String("definitely not an image"u8.ToArray()) });
        AssertProblem(garbage, HttpStatusCode.UnsupportedMediaType);
        var notBase64 = await client.PostJson("/invert", new { image = "%%%" });
        AssertProblem(notBase64, HttpStatusCode.BadRequest);
        var huge = await client.PostJson("/invert", new { image = new string('A', 15_000_000) });
        Assert.Contains(huge.StatusCode, new[] { HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.BadRequest });
        var both = await client.PostJson("/edit", new { image = Convert.ToBase64String(Http.SamplePng()), latent = new float[] { 1 }, source_text = "a", target_text = "b" });
        AssertProblem(both, HttpStatusCode.UnprocessableEntity);
        var wrongLatent = await client.PostJson("/edit", new { latent = new float[] { 1, 2, 3 }, source_text = "a", target_text = "b" });
        AssertProblem(wrongLatent, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Async_requests_are_jobs_with_events()
    {
        var accepted = await client.PostJson("/generate", new { prompt = "a red circle", num_images = 1, num_candidates = 2, seed = 5 }, prefer: "respond-async");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var job = await accepted.Json();
        string id = job.GetProperty("id").GetString()!;
        Assert.Equal($"/jobs/{id}", accepted.Headers.Location?.ToString());

        var events = await client.GetStringAsync($"/jobs/{id}/events");
        Assert.Contains("event: completed", events);
        var result = await client.GetAsync($"/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(1, (await result.Json()).GetProperty("images").GetArrayLength());

        var cancel = await client.PostAsync($"/jobs/{id}/cancel", null);
        Assert.Equal("succeeded", (await cancel.Json()).GetProperty("status").GetString());
        AssertProblem(await client.GetAsync("/jobs/does-not-exist"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task System_endpoints_describe_the_service()
    {
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var models = await (await client.GetAsync("/models")).Json();
        Assert.Contains("stylegan2.safetensors", models.GetProperty("model").GetProperty("weights_sha256").EnumerateObject().Select(p => p.Name));
        var openapi = await (await client.GetAsync("/openapi/v1.json")).Json();
        var paths = openapi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/generate", paths);
        Assert.Contains("/edit", paths);
        Assert.Contains("/invert", paths);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/swagger/index.html")).StatusCode);
        await client.PostJson("/generate", new { prompt = "a small shape", num_images = 1, num_candidates = 1, seed = 1 });
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("inference_requests_total", metrics);
        Assert.Contains("inference_batch_size", metrics);
        Assert.Matches(@"(?m)^torch_live_tensors(\{[^}]*\})? [1-9]", metrics); // the models' parameters at least
        string page = await client.GetStringAsync("/");
        Assert.Contains("StyleBridge playground", page);
    }
}
