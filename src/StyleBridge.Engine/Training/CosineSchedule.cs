namespace StyleBridge.Engine.Training;

/// <summary>The cosine decay the trainers share: from <c>start</c> at progress 0 to <c>end</c> at progress 1.</summary>
public static class CosineSchedule
{
    /// <param name="progress">Fraction of the schedule done; clamped to [0, 1].</param>
    public static double At(double progress, double start, double end) =>
        end + (start - end) * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1)));
}
