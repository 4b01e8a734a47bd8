"""Generator/discriminator pairs: plain nn.Modules with no training logic."""
