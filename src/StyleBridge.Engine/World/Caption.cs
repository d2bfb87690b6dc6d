namespace StyleBridge.Engine.World;

/// <summary>A caption and the attributes it names.</summary>
public sealed record Caption(string Text, NamedAttributes Named)
{
    public override string ToString() => Text;
}
