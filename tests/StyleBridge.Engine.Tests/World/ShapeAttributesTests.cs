namespace StyleBridge.Engine.Tests.World;

public class ShapeAttributesTests
{
    [Fact]
    public void Count_Is540_AndIndexRoundTrips()
    {
        Assert.Equal(540, ShapeAttributes.Count);
        var all = ShapeAttributes.All().ToList();
        Assert.Equal(540, all.Distinct().Count());
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal(i, all[i].Index);
            Assert.Equal(all[i], ShapeAttributes.FromIndex(i));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeAttributes.FromIndex(540));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeAttributes.FromIndex(-1));
    }

    [Fact]
    public void Names_AreTheSpecWords()
    {
        Assert.Equal(new[] { "circle", "square", "triangle" }, AttributeNames.ValuesOf(WorldAttribute.Shape));
        Assert.Equal(new[] { "red", "green", "blue", "yellow", "magenta", "cyan" }, AttributeNames.ValuesOf(WorldAttribute.Colour));
        Assert.Equal(new[] { "small", "large" }, AttributeNames.ValuesOf(WorldAttribute.Size));
        Assert.Equal(new[] { "center", "left", "right", "top", "bottom" }, AttributeNames.ValuesOf(WorldAttribute.Position));
        Assert.Equal(new[] { "black", "white", "gray" }, AttributeNames.ValuesOf(WorldAttribute.Background));
    }

    [Fact]
    public void Parse_InvertsNames_AndRejectsOtherText()
    {
        foreach (var shape in Enum.GetValues<Shape>()) Assert.Equal(shape, AttributeNames.Parse<Shape>(AttributeNames.Of(shape)));
        Assert.Equal(ShapeColour.Cyan, AttributeNames.Parse<ShapeColour>("Cyan"));
        Assert.Throws<ArgumentException>(() => AttributeNames.Parse<Shape>("1"));
        Assert.Throws<ArgumentException>(() => AttributeNames.Parse<Shape>("circle, square"));
        Assert.Throws<ArgumentException>(() => AttributeNames.Parse<Background>("grey"));
    }

    [Fact]
    public void ValueOf_GivesTheOrdinals()
    {
        var a = new ShapeAttributes(Shape.Triangle, ShapeColour.Cyan, ShapeSize.Large, ShapePosition.Bottom, Background.Gray);
        Assert.Equal(new[] { 2, 5, 1, 4, 2 }, ShapeAttributes.Attributes.Select(a.ValueOf));
        Assert.Equal(ShapeAttributes.Count - 1, a.Index);
    }

    [Fact]
    public void Palette_AndLayout_AreTheSpecValues()
    {
        Assert.Equal(new Rgb(230, 40, 40), WorldPalette.Of(ShapeColour.Red));
        Assert.Equal(new Rgb(40, 190, 60), WorldPalette.Of(ShapeColour.Green));
        Assert.Equal(new Rgb(40, 90, 230), WorldPalette.Of(ShapeColour.Blue));
        Assert.Equal(new Rgb(240, 220, 40), WorldPalette.Of(ShapeColour.Yellow));
        Assert.Equal(new Rgb(220, 60, 200), WorldPalette.Of(ShapeColour.Magenta));
        Assert.Equal(new Rgb(40, 210, 220), WorldPalette.Of(ShapeColour.Cyan));
        Assert.Equal(new Rgb(20, 20, 20), WorldPalette.Of(Background.Black));
        Assert.Equal(new Rgb(235, 235, 235), WorldPalette.Of(Background.White));
        Assert.Equal(new Rgb(128, 128, 128), WorldPalette.Of(Background.Gray));
        Assert.Equal(16f, WorldLayout.NominalSide(ShapeSize.Small));
        Assert.Equal(30f, WorldLayout.NominalSide(ShapeSize.Large));
        Assert.Equal((17f, 32f), WorldLayout.NominalCentre(ShapePosition.Left));
        Assert.Equal((32f, 47f), WorldLayout.NominalCentre(ShapePosition.Bottom));
    }
}
