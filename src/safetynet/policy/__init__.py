"""Policy rules: the dated-parameter loader and the assistance calculators."""
