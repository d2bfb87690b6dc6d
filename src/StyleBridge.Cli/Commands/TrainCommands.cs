using System.CommandLine;
using System.Globalization;
using StyleBridge.Engine.Training;
using StyleBridge.Models.Clip;

namespace StyleBridge.Cli.Commands;

/// <summary>
/// <c>stylebridge train clip|oracle|stylegan2</c>: one resumable run per model of the Shapes world. Checkpoints go to
/// <c>--checkpoint</c> (default <c>artifacts/train/NAME</c>); <c>--resume</c> continues from there; the final weights
/// go to <c>--out</c> (default <c>weights/shapes/NAME.safetensors</c>).
/// </summary>
internal static class TrainCommands
{
    public static Command Create() => new("train", "Train the Shapes world's models")
    {
        Clip(),
        Oracle(),
        StyleGan2(),
        StyleGan2Autoencoder(),
        StyleGan2Mapping(),
        StyleGan2SceneMapping(),
        StyleGan2Distill(),
        Prior(),
        Csla(),
        CslaTextCentre(),
        DeltaEdit(),
        Directions(),
    };

    private sealed record Common(Option<int?> Steps, Option<int?> Batch, Option<ulong> Seed, Option<string?> Checkpoint, Option<string?> Out,
        Option<bool> Resume, Option<int> CheckpointEvery, Option<int> ValidateEvery, Option<int?> Threads);

    private static Common AddCommon(Command command, string name)
    {
        var common = new Common(
            new Option<int?>("--steps") { Description = "optimiser steps of the whole run" },
            new Option<int?>("--batch") { Description = "items per step" },
            new Option<ulong>("--seed") { Description = "seed of the run", DefaultValueFactory = _ => 1 },
            new Option<string?>("--checkpoint") { Description = $"checkpoint directory (default artifacts/train/{name})" },
            new Option<string?>("--out") { Description = $"final weights (default weights/shapes/{name}.safetensors)" },
            new Option<bool>("--resume") { Description = "continue from the checkpoint" },
            new Option<int>("--checkpoint-every") { Description = "steps between checkpoints", DefaultValueFactory = _ => 100 },
            new Option<int>("--validate-every") { Description = "steps between validations (0: only at the end)", DefaultValueFactory = _ => 250 },
            new Option<int?>("--threads") { Description = "intra-op threads (default: one per core)" });
        command.Add(common.Steps);
        command.Add(common.Batch);
        command.Add(common.Seed);
        command.Add(common.Checkpoint);
        command.Add(common.Out);
        command.Add(common.Resume);
        command.Add(common.CheckpointEvery);
        command.Add(common.ValidateEvery);
        command.Add(common.Threads);
        return common;
    }

    private static Command Clip()
    {
        var vocab = new Option<string>("--vocab") { Description = "CLIP BPE vocabulary", DefaultValueFactory = _ => "weights/shapes/bpe_simple_vocab_16e6.txt.gz" };
        var command = new Command("clip", "Train the Shapes CLIP (contrastive, AdamW, warm-up + cosine)") { vocab };
        var common = AddCommon(command, "clip");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "clip", () =>
        {
            var tokenizer = ClipTokenizer.FromOpenAiVocab(result.GetValue(vocab)!);
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/clip";
            ClipTrainer trainer;
            if (result.GetValue(common.Resume))
            {
                trainer = ClipTrainer.Resume(checkpoint, tokenizer, result.GetValue(common.Steps));
            }
            else
            {
                var defaults = new ClipTrainerOptions();
                trainer = new ClipTrainer(defaults with
                {
                    Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                    Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                    Seed = result.GetValue(common.Seed),
                }, tokenizer);
            }
            return new ClipTrainingRun(trainer, tokenizer);
        }, cancel)));
        return command;
    }

    private static Command Oracle()
    {
        var command = new Command("oracle", "Train the attribute oracle (measurement only)");
        var common = AddCommon(command, "oracle");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "oracle", () =>
        {
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/oracle";
            if (result.GetValue(common.Resume))
                return new OracleTrainingRun(OracleTrainer.Resume(checkpoint, result.GetValue(common.Steps)));
            var defaults = new OracleTrainerOptions();
            return new OracleTrainingRun(new OracleTrainer(defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
            }));
        }, cancel)));
        return command;
    }

    private static Command StyleGan2()
    {
        var oracle = new Option<string>("--oracle") { Description = "attribute oracle for validation (skipped if absent)", DefaultValueFactory = _ => "weights/shapes/oracle.safetensors" };
        var r1 = new Option<double?>("--r1") { Description = "R1 weight γ (lazy, every 16 steps)" };
        var init = new Option<string?>("--init") { Description = "start G and G_ema from this exported generator (its step continues; D and the Adam states start fresh)" };
        var command = new Command("stylegan2", "Train the Shapes StyleGAN2 (64 px, non-saturating loss, lazy R1, EMA of G)") { oracle, r1, init };
        var common = AddCommon(command, "stylegan2");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "stylegan2", () =>
        {
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/stylegan2";
            if (result.GetValue(common.Resume))
                return StyleGan2TrainingRun.Resume(checkpoint, result.GetValue(common.Steps), result.GetValue(oracle));
            var defaults = new StyleGan2TrainerOptions();
            var options = defaults with
            {
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = (long)result.GetValue(common.Seed),
                R1Gamma = result.GetValue(r1) ?? defaults.R1Gamma,
            };
            var trainer = result.GetValue(init) is { } initPath ? StyleGan2Trainer.WarmStart(options, initPath) : new StyleGan2Trainer(options);
            return new StyleGan2TrainingRun(trainer, result.GetValue(common.Steps) ?? 3000, result.GetValue(oracle));
        }, cancel)));
        return command;
    }

    /// <summary>Stage one of the two-stage generator: the synthesis network as an autoencoder's decoder on renders.</summary>
    private static Command StyleGan2Autoencoder()
    {
        var oracle = new Option<string>("--oracle") { Description = "attribute oracle for validation (skipped if absent)", DefaultValueFactory = _ => "weights/shapes/oracle.safetensors" };
        var init = new Option<string?>("--init") { Description = "start the synthesis network from this exported generator" };
        var lr = new Option<double?>("--lr") { Description = "Adam learning rate" };
        var lrFinal = new Option<double?>("--lr-final") { Description = "learning rate at the last step as a fraction of --lr (cosine decay; default 1: constant)" };
        var command = new Command("stylegan2-autoencoder",
            "Stage one of the two-stage Shapes generator: train the synthesis network as the decoder of an image → w encoder (pixel MSE on renders); exports the generator and its .encoder.safetensors")
            { oracle, init, lr, lrFinal };
        var common = AddCommon(command, "stylegan2-autoencoder");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "stylegan2-autoencoder", () =>
        {
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/stylegan2-autoencoder";
            if (result.GetValue(common.Resume))
                return new StyleGan2AutoencoderRun(StyleGan2AutoencoderTrainer.Resume(checkpoint, result.GetValue(common.Steps), result.GetValue(lrFinal)), result.GetValue(oracle));
            var defaults = new StyleGan2AutoencoderOptions();
            return new StyleGan2AutoencoderRun(new StyleGan2AutoencoderTrainer(defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
                LearningRate = result.GetValue(lr) ?? defaults.LearningRate,
                FinalLearningRateFraction = result.GetValue(lrFinal) ?? defaults.FinalLearningRateFraction,
            }, result.GetValue(init)), result.GetValue(oracle));
        }, cancel)));
        return command;
    }

    /// <summary>Stage two: the mapping network trained adversarially against the encoder's w's of renders.</summary>
    private static Command StyleGan2Mapping()
    {
        var oracle = new Option<string>("--oracle") { Description = "attribute oracle for validation (skipped if absent)", DefaultValueFactory = _ => "weights/shapes/oracle.safetensors" };
        var generator = new Option<string>("--generator") { Description = "the generator stage one exported", DefaultValueFactory = _ => "artifacts/train/stylegan2-autoencoder.safetensors" };
        var encoder = new Option<string?>("--encoder") { Description = "its encoder (default: the .encoder.safetensors beside the generator)" };
        var bank = new Option<int?>("--bank") { Description = "renders encoded as the real w's" };
        var r1 = new Option<double?>("--r1") { Description = "R1 weight γ on the real w's" };
        var hidden = new Option<int?>("--hidden") { Description = "width of the w discriminator" };
        var depth = new Option<int?>("--depth") { Description = "hidden layers of the w discriminator" };
        var lr = new Option<double?>("--lr") { Description = "mapping Adam step relative to the weights' scale" };
        var dLr = new Option<double?>("--d-lr") { Description = "discriminator Adam learning rate" };
        var sliced = new Option<double?>("--sliced") { Description = "weight of the sliced Wasserstein term in the mapping's loss (0: adversarial only)" };
        var keep = new Option<bool>("--keep-mapping") { Description = "start from the generator's own mapping network (e.g. one stylegan2-scene-mapping trained) instead of a fresh one" };
        var command = new Command("stylegan2-mapping",
            "Stage two of the two-stage Shapes generator: train the mapping network so that z ~ N(0, I) lands where the encoder puts renders (logistic GAN loss in w, R1); exports the generator")
            { oracle, generator, encoder, bank, r1, hidden, depth, lr, dLr, sliced, keep };
        var common = AddCommon(command, "stylegan2-mapping");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "stylegan2-mapping", () =>
        {
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/stylegan2-mapping";
            if (result.GetValue(common.Resume))
                return new MappingGanRun(MappingGanTrainer.Resume(checkpoint, result.GetValue(common.Steps)), result.GetValue(oracle));
            var defaults = new MappingGanOptions();
            var options = defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
                BankSize = result.GetValue(bank) ?? defaults.BankSize,
                R1Gamma = result.GetValue(r1) ?? defaults.R1Gamma,
                Hidden = result.GetValue(hidden) ?? defaults.Hidden,
                Depth = result.GetValue(depth) ?? defaults.Depth,
                MappingLearningRate = result.GetValue(lr) ?? defaults.MappingLearningRate,
                DLearningRate = result.GetValue(dLr) ?? defaults.DLearningRate,
                SlicedWeight = result.GetValue(sliced) ?? defaults.SlicedWeight,
            };
            string generatorPath = result.GetValue(generator)!;
            Tensor codes;
            using (var e = StyleGan2AutoencoderTrainer.LoadEncoder(result.GetValue(encoder) ?? StyleGan2AutoencoderTrainer.EncoderPath(generatorPath)))
                codes = MappingGanTrainer.EncodeBank(e, options.BankSize, options.Seed);
            var g = StyleBridge.Models.StyleGan2.Generator.FromFile(generatorPath);
            return new MappingGanRun(new MappingGanTrainer(options, g, codes, resetMapping: !result.GetValue(keep)), result.GetValue(oracle));
        }, cancel)));
        return command;
    }

    /// <summary>Stage two by regression: the mapping network sends each scene code to the encoder's w of its render.</summary>
    private static Command StyleGan2SceneMapping()
    {
        var oracle = new Option<string>("--oracle") { Description = "attribute oracle for validation (skipped if absent)", DefaultValueFactory = _ => "weights/shapes/oracle.safetensors" };
        var generator = new Option<string>("--generator") { Description = "the generator stage one exported", DefaultValueFactory = _ => "artifacts/train/stylegan2-autoencoder.safetensors" };
        var encoder = new Option<string?>("--encoder") { Description = "its encoder (default: the .encoder.safetensors beside the generator)" };
        var scenes = new Option<int?>("--scenes") { Description = "scenes rendered and encoded as the targets" };
        var lr = new Option<double?>("--lr") { Description = "Adam step relative to the weights' scale" };
        var lrFinal = new Option<double?>("--lr-final") { Description = "learning rate at the last step as a fraction of --lr (cosine decay)" };
        var layers = new Option<int?>("--mapping-layers") { Description = "depth of the new mapping network (n_mlp; default 8)" };
        var separation = new Option<double?>("--shape-separation") { Description = "add one of three orthonormal directions of this length to each target by its scene's shape (default 0: the targets as they are)" };
        var keepMapping = new Option<bool>("--keep-mapping") { Description = "start from the generator's own mapping network instead of a fresh one" };
        var targetsFrom = new Option<string>("--targets") { Description = "encoder: the encoder's w of each scene's render; mapping: the generator's own mean w of each scene (8 codes), for a scene-coded generator whose encoder is gone", DefaultValueFactory = _ => "encoder" };
        targetsFrom.AcceptOnlyFromAmong("encoder", "mapping");
        var command = new Command("stylegan2-scene-mapping",
            "Stage two of the two-stage Shapes generator by regression: z's first coordinates code a scene (argmax per attribute, jitter from Φ), and the mapping network learns to send z to the encoder's w of that scene's render (MSE); exports the generator")
            { oracle, generator, encoder, scenes, lr, lrFinal, layers, separation, keepMapping, targetsFrom };
        var common = AddCommon(command, "stylegan2-scene-mapping");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "stylegan2-scene-mapping", () =>
        {
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/stylegan2-scene-mapping";
            if (result.GetValue(common.Resume))
                return new SceneMappingRun(SceneMappingTrainer.Resume(checkpoint, result.GetValue(common.Steps)), result.GetValue(oracle));
            var defaults = new SceneMappingOptions();
            var options = defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
                Scenes = result.GetValue(scenes) ?? defaults.Scenes,
                LearningRate = result.GetValue(lr) ?? defaults.LearningRate,
                FinalLearningRateFraction = result.GetValue(lrFinal) ?? defaults.FinalLearningRateFraction,
                MappingLayers = result.GetValue(layers) ?? defaults.MappingLayers,
                ShapeSeparation = result.GetValue(separation) ?? defaults.ShapeSeparation,
            };
            options.Validate();
            string generatorPath = result.GetValue(generator)!;
            var drawn = SceneMappingTrainer.DrawScenes(options);
            var g = StyleBridge.Models.StyleGan2.Generator.FromFile(generatorPath);
            try
            {
                Tensor targets;
                if (result.GetValue(targetsFrom) == "mapping")
                    targets = SceneMappingTrainer.MapScenes(g, drawn, draws: 8, options.Seed);
                else
                    using (var e = StyleGan2AutoencoderTrainer.LoadEncoder(result.GetValue(encoder) ?? StyleGan2AutoencoderTrainer.EncoderPath(generatorPath)))
                        targets = MappingGanTrainer.Encode(e, drawn);
                if (options.ShapeSeparation > 0)
                {
                    using var encoded = targets;
                    targets = SceneMappingTrainer.SeparateShapes(encoded, drawn, options.ShapeSeparation, options.Seed);
                }

                return new SceneMappingRun(new SceneMappingTrainer(options, g, drawn, targets, resetMapping: !result.GetValue(keepMapping)), result.GetValue(oracle));
            }
            catch
            {
                g.Dispose();
                throw;
            }
        }, cancel)));
        return command;
    }

    /// <summary>Stage three: the whole generator fine-tuned in pixels on the scenes its codes stand for.</summary>
    private static Command StyleGan2Distill()
    {
        var oracle = new Option<string>("--oracle") { Description = "attribute oracle for validation (skipped if absent)", DefaultValueFactory = _ => "weights/shapes/oracle.safetensors" };
        var generator = new Option<string>("--generator") { Description = "the generator stylegan2-scene-mapping exported", DefaultValueFactory = _ => "artifacts/train/stylegan2-scene-mapping.safetensors" };
        var lr = new Option<double?>("--lr") { Description = "Adam learning rate of the synthesis network" };
        var mappingLr = new Option<double?>("--mapping-lr") { Description = "Adam step of the mapping network relative to its weights' scale" };
        var lrFinal = new Option<double?>("--lr-final") { Description = "learning rates at the last step as a fraction of the first (cosine decay)" };
        var pixelLoss = new Option<string?>("--pixel-loss") { Description = "mse (default) or l1" };
        pixelLoss.AcceptOnlyFromAmong("mse", "l1");
        var adversarial = new Option<double?>("--adversarial") { Description = "weight of a non-saturating adversarial term beside the pixel loss (a discriminator learns beside G); 0: none" };
        var r1 = new Option<double?>("--r1") { Description = "R1 weight γ of that discriminator (lazy, every 16 steps)" };
        var initD = new Option<string?>("--init-discriminator") { Description = "start the discriminator from a stylebridge train stylegan2 checkpoint (trainer.bin) instead of the seed" };
        var objectWeight = new Option<double?>("--object-weight") { Description = "weight of the object's pixels (and a 1 px ring) in the pixel loss against the background's 1 (default 1: a plain mean)" };
        var shapeWeight = new Option<double?>("--shape-weight") { Description = "extra weight, on top of --object-weight, of the pixels that tell the scene's shape from the other two (default 1: none)" };
        var keepLatents = new Option<bool>("--keep-latent-spaces") { Description = "freeze the mapping and the style affines: every z keeps its w and S, so the methods trained on them stay valid; only the drawing is trained" };
        var colourMixing = new Option<double?>("--colour-mixing") { Description = "share of each batch drawn with a second scene's w from --colour-layer on and that scene's colour as the target (default 0: none)" };
        var colourLayer = new Option<int?>("--colour-layer") { Description = "the first W+ layer --colour-mixing takes from the second scene (default 5)" };
        var confinement = new Option<double?>("--colour-confinement") { Description = "weight of the term that keeps noise on the W+ rows from --colour-layer on off the background (default 0: none)" };
        var confinementNoise = new Option<double?>("--confinement-noise") { Description = "that noise in units of the batch's per-dimension spread of w (default 1)" };
        var command = new Command("stylegan2-distill",
            "Stage three of the two-stage Shapes generator: fine-tune mapping and synthesis so that G(z) draws the render of the scene z codes for (pixel loss, optionally adversarial); exports the generator")
            { oracle, generator, lr, mappingLr, lrFinal, pixelLoss, objectWeight, shapeWeight, adversarial, r1, initD, keepLatents, colourMixing, colourLayer, confinement, confinementNoise };
        var common = AddCommon(command, "stylegan2-distill");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "stylegan2-distill", () =>
        {
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/stylegan2-distill";
            if (result.GetValue(common.Resume))
            {
                var resumed = SceneDistillationTrainer.Resume(checkpoint, result.GetValue(common.Steps));
                // checkpoints written before they carried latent_avg: take it from the source generator, if named
                if (resumed.G.LatentAvg is null && result.GetResult(generator) is { Implicit: false })
                {
                    using var source = StyleBridge.Models.StyleGan2.StyleGan2Weights.Read(result.GetValue(generator)!);
                    resumed.G.SetLatentAvg(source.LatentAvg);
                }
                return new SceneDistillationRun(resumed, result.GetValue(oracle));
            }
            var defaults = new SceneDistillationOptions();
            var options = defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
                LearningRate = result.GetValue(lr) ?? defaults.LearningRate,
                MappingLearningRate = result.GetValue(mappingLr) ?? defaults.MappingLearningRate,
                FinalLearningRateFraction = result.GetValue(lrFinal) ?? defaults.FinalLearningRateFraction,
                PixelLoss = result.GetValue(pixelLoss) ?? defaults.PixelLoss,
                ObjectWeight = result.GetValue(objectWeight) ?? defaults.ObjectWeight,
                ShapeWeight = result.GetValue(shapeWeight) ?? defaults.ShapeWeight,
                AdversarialWeight = result.GetValue(adversarial) ?? defaults.AdversarialWeight,
                R1Gamma = result.GetValue(r1) ?? defaults.R1Gamma,
                KeepLatentSpaces = result.GetValue(keepLatents),
                ColourMixing = result.GetValue(colourMixing) ?? defaults.ColourMixing,
                ColourLayer = result.GetValue(colourLayer) ?? defaults.ColourLayer,
                ColourConfinement = result.GetValue(confinement) ?? defaults.ColourConfinement,
                ConfinementNoise = result.GetValue(confinementNoise) ?? defaults.ConfinementNoise,
            };
            var g = StyleBridge.Models.StyleGan2.Generator.FromFile(result.GetValue(generator)!, SceneDistillationTrainer.WholeBatches);
            var trainer = new SceneDistillationTrainer(options, g);
            if (result.GetValue(initD) is { } ganCheckpoint)
            {
                try
                {
                    if (trainer.D is null)
                        throw new ArgumentException("--init-discriminator needs --adversarial > 0");
                    using var gan = StyleGan2Trainer.Resume(ganCheckpoint);
                    StateDicts.LoadInto(trainer.D, StateDicts.Of(gan.D).ToDictionary(e => e.Key, e => e.Value));
                }
                catch
                {
                    trainer.Dispose();
                    throw;
                }
            }
            return new SceneDistillationRun(trainer, result.GetValue(oracle));
        }, cancel)));
        return command;
    }

    private static Option<string> DataOption() => new("--data") { Description = "data set of stylebridge data generate", DefaultValueFactory = _ => "artifacts/data/shapes" };

    private static Option<string?> ModelsOption() => new("--models") { Description = "model set with the generator and CLIP the data came from (default: the Shapes set)" };

    private static Command Prior()
    {
        var data = DataOption();
        var models = ModelsOption();
        var depth = new Option<int?>("--depth") { Description = "transformer layers" };
        var lr = new Option<double?>("--lr") { Description = "AdamW learning rate" };
        var command = new Command("prior", "Train the clip2latent prior on (w, CLIP image embedding) data (AdamW, EMA, condition drop-out, pseudo-text noise)") { data, models, depth, lr };
        var common = AddCommon(command, "prior");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "prior", () =>
        {
            var set = StyleBridge.Engine.ModelSets.ModelSet.Open(result.GetValue(models));
            int repeats;
            using (var g = set.LoadGenerator())
                repeats = g.NLatent;
            var (w, f) = StyleBridge.Engine.Data.LatentDataset.Load(result.GetValue(data)!);
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/prior";
            if (result.GetValue(common.Resume))
                return new PriorTrainingRun(PriorTrainer.Resume(checkpoint, w, f, result.GetValue(common.Steps)));
            var defaults = new PriorTrainerOptions();
            return new PriorTrainingRun(new PriorTrainer(defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
                Depth = result.GetValue(depth) ?? defaults.Depth,
                LearningRate = result.GetValue(lr) ?? defaults.LearningRate,
                LatentRepeats = repeats,
            }, w, f));
        }, cancel)));
        return command;
    }

    private static Command Csla()
    {
        var data = DataOption();
        var models = ModelsOption();
        var centre = new Option<StyleBridge.Models.Csla.CslaCentre>("--centre") { Description = "CLIP-space centre in training (csla.md §3.3)", DefaultValueFactory = _ => StyleBridge.Models.Csla.CslaCentre.TemporalPrevious };
        var asm = new Option<StyleBridge.Models.Csla.AsmKind>("--asm") { Description = "Adaptive Style Mixing variant (csla.md §4.2)", DefaultValueFactory = _ => StyleBridge.Models.Csla.AsmKind.Gate };
        var convOnly = new Option<bool>("--conv-heads-only") { Description = "heads on the conv layers only (ToRGB styles from the W branch)" };
        var output = new Option<StyleBridge.Models.Csla.CslaOutput>("--output") { Description = "what drives G at inference: the S result or the W result", DefaultValueFactory = _ => StyleBridge.Models.Csla.CslaOutput.Styles };
        var neutral = new Option<string>("--neutral") { Description = "the neutral prompt (text centre of generation)", DefaultValueFactory = _ => "a shape" };
        var lr = new Option<double?>("--lr") { Description = "Adam learning rate (cosine decay)" };
        var noise = new Option<double?>("--embed-noise") { Description = "clip2latent's pseudo-text noise scale on each sample's embedding (not in the paper; 0: none)" };
        var noiseShare = new Option<double?>("--embed-noise-share") { Description = "share of the samples that get that noise (default 1: all)" };
        var command = new Command("csla", "Train the CSLA mappers (CLIP residual → Δw → Δs, ASM) on (w, CLIP image embedding) data") { data, models, centre, asm, convOnly, output, neutral, lr, noise, noiseShare };
        var common = AddCommon(command, "csla");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "csla", () =>
        {
            var set = StyleBridge.Engine.ModelSets.ModelSet.Open(result.GetValue(models));
            var g = set.LoadGenerator();
            var (w, f) = StyleBridge.Engine.Data.LatentDataset.Load(result.GetValue(data)!);
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/csla";
            if (result.GetValue(common.Resume))
                return new CslaTrainingRun(CslaTrainer.Resume(checkpoint, g, w, f, result.GetValue(common.Steps)));
            var defaults = new CslaTrainerOptions();
            var config = new StyleBridge.Models.Csla.CslaConfig((int)f.shape[1], (int)w.shape[1], Asm: result.GetValue(asm),
                HeadsOnToRgb: !result.GetValue(convOnly), Centre: result.GetValue(centre), NeutralPrompt: result.GetValue(neutral)!,
                Output: result.GetValue(output));
            return new CslaTrainingRun(new CslaTrainer(defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
                LearningRate = result.GetValue(lr) ?? defaults.LearningRate,
                EmbedNoiseScale = result.GetValue(noise) ?? defaults.EmbedNoiseScale,
                EmbedNoiseShare = result.GetValue(noiseShare) ?? defaults.EmbedNoiseShare,
                Config = config,
            }, g, w, f));
        }, cancel)));
        return command;
    }

    /// <summary>
    /// <c>stylebridge train csla-text-centre</c>: calibrates the set's CSLA file for inference: its text centre
    /// c_txt, the mean embedding of the prompts (a file, one per line; default: the Shapes world's canonical captions
    /// that name no held-out pair), optionally its text map and image bank, text to image's default α and editing's. The mappers are unchanged; the file's manifest
    /// entry keeps its training command and metrics and adds this step.
    /// </summary>
    private static Command CslaTextCentre()
    {
        var models = ModelsOption();
        var prompts = new Option<string?>("--prompts") { Description = "prompts, one per line (default: the Shapes canonical captions naming no held-out pair)" };
        var strength = new Option<double>("--strength") { Description = "text to image's default α with this centre", DefaultValueFactory = _ => 1.0 };
        var output = new Option<string?>("--out") { Description = "output file (default: the set's csla.safetensors, rewritten)" };
        var mapSamples = new Option<int>("--text-map-samples")
        {
            Description = "generator samples for the text map (Gaussian optimal transport of text residuals onto image residuals; 0: no map)",
            DefaultValueFactory = _ => 0,
        };
        mapSamples.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or 1) r.AddError("--text-map-samples must be 0 or at least 2"); });
        var shrinkage = new Option<double>("--text-map-shrinkage") { Description = "shrinkage of the caption covariance toward its mean variance, in [0, 1]", DefaultValueFactory = _ => 0.1 };
        shrinkage.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (>= 0 and <= 1)) r.AddError("--text-map-shrinkage must lie in [0, 1]"); });
        var seed = new Option<ulong>("--seed") { Description = "seed of the text map's generator samples", DefaultValueFactory = _ => 7 };
        var editStrength = new Option<double?>("--edit-strength") { Description = $"editing's default α, in (0, {StyleBridge.Models.Csla.CslaConfig.MaxEditStrength}] (default: the file's own)" };
        editStrength.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } a && !StyleBridge.Models.Csla.CslaConfig.IsValidEditStrength(a))
                r.AddError($"--edit-strength must lie in (0, {StyleBridge.Models.Csla.CslaConfig.MaxEditStrength}]");
        });
        var bankSamples = new Option<int>("--text-bank-samples")
        {
            Description = "generator samples for the image bank (a prompt's top-k nearest images form its prototype for text to image; 0: no bank)",
            DefaultValueFactory = _ => 0,
        };
        bankSamples.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--text-bank-samples must not be negative"); });
        var bankTopK = new Option<int>("--text-bank-top-k") { Description = "bank images averaged into a prompt's prototype", DefaultValueFactory = _ => 8 };
        bankTopK.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--text-bank-top-k must be at least 1"); });
        var command = new Command("csla-text-centre",
            "Calibrate CSLA's text centre (mean prompt embedding), optionally its text map and image bank, its text-to-image strength and its edit strength")
        {
            models, prompts, strength, output, mapSamples, shrinkage, seed, editStrength, bankSamples, bankTopK,
        };
        command.Validators.Add(r =>
        {
            int n = r.GetValue(bankSamples);
            if (n > 0 && r.GetValue(bankTopK) > n)
                r.AddError("--text-bank-top-k must not exceed --text-bank-samples");
        });
        command.SetAction((result, cancel) => Task.FromResult(CommandErrors.Guarded(result, () =>
        {
            // the revision before the file is rewritten: a set inside the checkout would read as "+dirty" after it
            string revision = Provenance.Revision();
            var set = StyleBridge.Engine.ModelSets.ModelSet.Open(result.GetValue(models));
            string source = set.PathOf(StyleBridge.Engine.ModelSets.ModelSet.CslaFile);
            string path = Path.GetFullPath(result.GetValue(output) ?? source);
            IReadOnlyList<string> list;
            string description;
            if (result.GetValue(prompts) is { } file)
            {
                list = [.. File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0)];
                description = $"{list.Count} prompts of {Path.GetFileName(file)}";
            }
            else
            {
                list = StyleBridge.Engine.World.CaptionGrammar.CanonicalPrompts();
                description = $"{list.Count} canonical Shapes captions naming no held-out pair";
            }
            using var g = set.LoadGenerator();
            using var clip = set.LoadClip();
            var tokenizer = set.LoadTokenizer();
            using var csla = StyleBridge.Models.Csla.CslaModel.FromFile(source, g);
            using var centre = CslaTextCentres.Compute(clip, tokenizer, csla, list);
            // the map's image side and the bank are the same draw when they ask for as many samples: rendered once
            int samples = result.GetValue(mapSamples), banked = result.GetValue(bankSamples);
            using var mapImages = samples > 0 ? CslaTextCentres.ImageBank(clip, g, samples, result.GetValue(seed)) : null;
            using var bank = banked == 0 ? null : banked == samples ? mapImages!.alias() : CslaTextCentres.ImageBank(clip, g, banked, result.GetValue(seed));
            using var map = mapImages is null ? null
                : CslaTextCentres.TransportMap(clip, tokenizer, csla, list, centre, mapImages, result.GetValue(shrinkage));
            string? mapDescription = map is null ? null
                : $"{description} onto {samples} generator samples (seed {result.GetValue(seed)}), caption covariance shrunk by {result.GetValue(shrinkage).ToString(CultureInfo.InvariantCulture)}";
            string? bankDescription = bank is null ? null : $"{banked} generator samples (seed {result.GetValue(seed)})";
            using var centred = csla.WithTextCentre(centre, description, result.GetValue(strength), map, mapDescription);
            using var banks = centred.WithTextBank(bank, bankDescription, result.GetValue(bankTopK));
            using var calibrated = banks.WithEditStrength(result.GetValue(editStrength) ?? csla.Config.EditStrength);
            calibrated.Save(path);

            string directory = Path.GetDirectoryName(path)!;
            string name = Path.GetFileName(path);
            var previous = File.Exists(Path.Combine(directory, StyleBridge.Engine.ModelSets.ModelManifest.FileName))
                ? StyleBridge.Engine.ModelSets.ModelManifest.Load(directory).Find(name) : null;
            string step = "stylebridge " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            var metrics = new Dictionary<string, double>(previous?.Metrics ?? new SortedDictionary<string, double>())
            {
                ["text_centre_prompts"] = list.Count,
                ["text_strength"] = result.GetValue(strength),
                ["text_map_samples"] = samples,
                ["edit_strength"] = calibrated.Config.EditStrength,
                ["text_bank_samples"] = banked,
                ["text_bank_top_k"] = bank is null ? 0 : calibrated.Config.TextBankTopK,
            };
            var entry = StyleBridge.Engine.ModelSets.ModelManifest.Upsert(directory, name,
                previous is null ? step : $"{previous.Command} (revision {previous.Revision}) && {step}", previous?.Seed, revision, metrics);
            result.InvocationConfiguration.Output.WriteLine(
                $"csla-text-centre: {path}: c_txt from {description} (|c_txt| {centre.norm().item<float>():F3}), " +
                (map is null ? "no text map" : $"text map from {mapDescription} (eigenvalues {MapRange(map)})") +
                (bank is null ? ", no image bank" : $", image bank of {bankDescription}, prototypes of the {calibrated.Config.TextBankTopK} nearest") +
                $", text strength {result.GetValue(strength)}, edit strength {calibrated.Config.EditStrength}, recorded (sha256 {entry.Sha256[..12]}…)");
        })));
        return command;
    }

    /// <summary>The smallest and largest eigenvalue of a symmetric map, "min–max".</summary>
    private static string MapRange(Tensor map)
    {
        using var values = linalg.eigvalsh(map.to(ScalarType.Float64));
        return $"{values.min().item<double>():F2}–{values.max().item<double>():F2}";
    }

    private static Command DeltaEdit()
    {
        var data = DataOption();
        var models = ModelsOption();
        var lr = new Option<double?>("--lr") { Description = "Adam learning rate (0.5 as the reference: the layers have lr_mul 0.01)" };
        var command = new Command("deltaedit", "Train the DeltaEdit mapper on (w, CLIP image embedding) data (pairs Δs, Δc; MSE + cosine)") { data, models, lr };
        var common = AddCommon(command, "deltaedit");
        command.SetAction((result, cancel) => Task.FromResult(Run(result, common, "deltaedit", () =>
        {
            var set = StyleBridge.Engine.ModelSets.ModelSet.Open(result.GetValue(models));
            var g = set.LoadGenerator();
            var (w, f) = StyleBridge.Engine.Data.LatentDataset.Load(result.GetValue(data)!);
            string checkpoint = result.GetValue(common.Checkpoint) ?? "artifacts/train/deltaedit";
            if (result.GetValue(common.Resume))
                return new DeltaEditTrainingRun(DeltaEditTrainer.Resume(checkpoint, g, w, f, result.GetValue(common.Steps)));
            var defaults = new DeltaEditTrainerOptions();
            return new DeltaEditTrainingRun(new DeltaEditTrainer(defaults with
            {
                Steps = result.GetValue(common.Steps) ?? defaults.Steps,
                Batch = result.GetValue(common.Batch) ?? defaults.Batch,
                Seed = result.GetValue(common.Seed),
                LearningRate = result.GetValue(lr) ?? defaults.LearningRate,
            }, g, w, f));
        }, cancel)));
        return command;
    }

    /// <summary><c>stylebridge train directions</c>: fs3, σ and μ of StyleCLIP's global directions for the set's generator and CLIP.</summary>
    private static Command Directions()
    {
        var models = ModelsOption();
        var samples = new Option<int>("--samples") { Description = "sample codes per channel (StyleCLIP: 100)", DefaultValueFactory = _ => 16 };
        var statistics = new Option<int>("--statistics") { Description = "codes for σ and μ (StyleCLIP: 100,000)", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<long>("--seed") { Description = "seed of the codes", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out") { Description = "output file", DefaultValueFactory = _ => "weights/shapes/directions.safetensors" };
        var threads = new Option<int?>("--threads") { Description = "intra-op threads" };
        var fs3 = new Option<string?>("--fs3") { Description = "a released fs3.npy (StyleCLIP's FFHQ file): reuse it, compute only σ and μ" };
        var command = new Command("directions", "StyleCLIP global directions: channel relevance fs3 and the per-channel σ, μ of S") { models, samples, statistics, seed, output, threads, fs3 };
        command.SetAction((result, cancel) => Task.FromResult(CommandErrors.Guarded(result, () =>
        {
            if (result.GetValue(threads) is { } t)
                StyleBridge.Torch.TorchRuntime.Initialize(t);
            var set = StyleBridge.Engine.ModelSets.ModelSet.Open(result.GetValue(models));
            string path = result.GetValue(output)!;
            // the output's directory before the work (100 samples per channel take half an hour here), not after it
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using var g = set.LoadGenerator();
            using var clip = set.LoadClip();
            var log = result.InvocationConfiguration.Output;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            StyleBridge.Engine.Editing.DirectionBuilder.Build(g, clip, new ClipImageTransform(clip.Config.ImageResolution), path,
                result.GetValue(samples), result.GetValue(statistics), result.GetValue(seed),
                progress: (done, total) => { if (done % 64 < 8 || done == total) log.WriteLine($"channel {done}/{total}  {clock.Elapsed:hh\\:mm\\:ss}"); },
                cancellation: cancel,
                releasedFs3: result.GetValue(fs3) is { } fs3Path ? StyleBridge.Models.Editing.GlobalDirections.LoadFs3(fs3Path, g) : null);
            string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            var entry = StyleBridge.Engine.ModelSets.ModelManifest.Upsert(directory, Path.GetFileName(path),
                "stylebridge " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), result.GetValue(seed), Provenance.Revision(),
                new Dictionary<string, double> { ["samples"] = result.GetValue(samples), ["statistics"] = result.GetValue(statistics), ["seconds"] = clock.Elapsed.TotalSeconds });
            log.WriteLine($"directions: {path} in {clock.Elapsed.TotalSeconds:F0} s, recorded (sha256 {entry.Sha256[..12]}…)");
        })));
        return command;
    }

    private static int Run(ParseResult result, Common common, string name, Func<ITrainingRun> start, CancellationToken cancel)
    {
        var output = result.InvocationConfiguration.Output;
        try
        {
            if (result.GetValue(common.Threads) is { } threads)
                StyleBridge.Torch.TorchRuntime.Initialize(threads);
            using var run = start();
            string checkpoint = result.GetValue(common.Checkpoint) ?? $"artifacts/train/{name}";
            string export = result.GetValue(common.Out) ?? $"weights/shapes/{name}.safetensors";
            output.WriteLine($"{name}: step {run.StepCount} of {run.TotalSteps}, {run.ItemsPerStep} items per step, checkpoints in {checkpoint}");
            var final = TrainingLoop.Run(run, checkpoint, export, result.GetValue(common.CheckpointEvery), result.GetValue(common.ValidateEvery), output, cancel);
            if (run.StepCount >= run.TotalSteps)
            {
                string directory = Path.GetDirectoryName(Path.GetFullPath(export))!;
                var entry = StyleBridge.Engine.ModelSets.ModelManifest.Upsert(directory, Path.GetFileName(export),
                    "stylebridge " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), (long)result.GetValue(common.Seed), Provenance.Revision(),
                    final.ToDictionary(m => m.Name, m => m.Value));
                output.WriteLine($"{name}: recorded in {Path.Combine(directory, "manifest.json")} (sha256 {entry.Sha256[..12]}…)");
            }
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or StateDictMismatchException or StyleBridge.Engine.ModelSets.ModelSetException)
        {
            result.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
