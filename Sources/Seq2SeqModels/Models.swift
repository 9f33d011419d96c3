// Layers and models: one generic encoder-decoder; families are configurations.
