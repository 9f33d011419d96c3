// The umbrella module: `import Seq2Seq` brings every inference layer (tensors, weight files,
// models, decoding, tokenizers, audio, metrics, Whisper) and adds translation (`Translator`).
// Training is its own library, `Seq2SeqTraining`, so a translation-only program does not link it.
@_exported import Seq2SeqAudio
@_exported import Seq2SeqGeneration
@_exported import Seq2SeqIO
@_exported import Seq2SeqMetrics
@_exported import Seq2SeqModels
@_exported import Seq2SeqTensor
@_exported import Seq2SeqTokenizers
@_exported import Seq2SeqWhisper

// Seq2SeqMetrics depends on Foundation alone, so its error joins the toolkit's protocol here.
extension EvaluationError: Seq2SeqError {}
