namespace StyleBridge.Engine.World;

// The five attributes of a Shapes-world image (docs: ../shared/docs/closed-world.md §1). Enum order is the spec's
// table order; it fixes ShapeAttributes.Index and the order zero-shot prompts are listed in.

public enum Shape { Circle, Square, Triangle }

public enum ShapeColour { Red, Green, Blue, Yellow, Magenta, Cyan }

public enum ShapeSize { Small, Large }

public enum ShapePosition { Center, Left, Right, Top, Bottom }

public enum Background { Black, White, Gray }

/// <summary>Which attribute: the five heads of the oracle, the five slots a caption may name.</summary>
public enum WorldAttribute { Shape, Colour, Size, Position, Background }

/// <summary>A set of attributes, e.g. the ones a caption names.</summary>
[Flags]
public enum AttributeMask
{
    None = 0,
    Shape = 1 << (int)WorldAttribute.Shape,
    Colour = 1 << (int)WorldAttribute.Colour,
    Size = 1 << (int)WorldAttribute.Size,
    Position = 1 << (int)WorldAttribute.Position,
    Background = 1 << (int)WorldAttribute.Background,
    All = Shape | Colour | Size | Position | Background,
}
