using SkiaSharp;

namespace StyleBridge.Engine.Evaluation;

/// <summary>A small line chart (PNG) of success and preservation against strength, one colour per method.</summary>
public static class StrengthChart
{
    private static readonly SKColor[] Colours = [new(0xD6, 0x27, 0x28), new(0x1F, 0x77, 0xB4), new(0x2C, 0xA0, 0x2C), new(0x94, 0x67, 0xBD)];

    /// <param name="series">Per method: its name and (strength multiplier, success, preservation) points.</param>
    public static byte[] Render(IReadOnlyList<(string Method, IReadOnlyList<(double Strength, double Success, double Preservation)> Points)> series,
        int width = 720, int height = 420)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        const float left = 60, right = 180, top = 30, bottom = 50;
        float plotW = width - left - right, plotH = height - top - bottom;
        double maxX = series.SelectMany(s => s.Points).Select(p => p.Strength).DefaultIfEmpty(1).Max();
        float X(double v) => left + (float)(v / maxX) * plotW;
        float Y(double v) => top + (float)(1 - v) * plotH;

        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(0xDD, 0xDD, 0xDD), StrokeWidth = 1 };
        using var font = new SKFont(SKTypeface.Default, 12);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int i = 0; i <= 4; i++)
        {
            double v = i / 4.0;
            canvas.DrawLine(left, Y(v), left + plotW, Y(v), grid);
            canvas.DrawText($"{v * 100:F0} %", 8, Y(v) + 4, SKTextAlign.Left, font, text);
        }
        foreach (double x in series.SelectMany(s => s.Points).Select(p => p.Strength).Distinct().Order())
            canvas.DrawText($"{x:0.##}×", X(x), height - bottom + 18, SKTextAlign.Center, font, text);
        canvas.DrawLine(left, top + plotH, left + plotW, top + plotH, axis);
        canvas.DrawLine(left, top, left, top + plotH, axis);
        canvas.DrawText("strength (× the method's default α)", left + plotW / 2, height - 12, SKTextAlign.Center, font, text);

        for (int s = 0; s < series.Count; s++)
        {
            var colour = Colours[s % Colours.Length];
            using var solid = new SKPaint { Color = colour, StrokeWidth = 2.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var dashed = new SKPaint { Color = colour, StrokeWidth = 2f, IsAntialias = true, Style = SKPaintStyle.Stroke, PathEffect = SKPathEffect.CreateDash([6, 4], 0) };
            var points = series[s].Points.OrderBy(p => p.Strength).ToList();
            for (int i = 1; i < points.Count; i++)
            {
                var (x0, a0, b0) = points[i - 1];
                var (x1, a1, b1) = points[i];
                canvas.DrawLine(X(x0), Y(a0), X(x1), Y(a1), solid);
                canvas.DrawLine(X(x0), Y(b0), X(x1), Y(b1), dashed);
            }
            foreach (var (x, a, b) in points)
            {
                canvas.DrawCircle(X(x), Y(a), 3, solid);
                canvas.DrawCircle(X(x), Y(b), 3, dashed);
            }
            float ly = top + 10 + s * 40;
            canvas.DrawLine(width - right + 15, ly, width - right + 45, ly, solid);
            canvas.DrawText($"{series[s].Method} success", width - right + 50, ly + 4, SKTextAlign.Left, font, text);
            canvas.DrawLine(width - right + 15, ly + 16, width - right + 45, ly + 16, dashed);
            canvas.DrawText($"{series[s].Method} preservation", width - right + 50, ly + 20, SKTextAlign.Left, font, text);
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
