// swift-tools-version: 6.0
// Seq2Seq — encoder-decoder Transformers in Swift, on Linux, fast on CPU.
import PackageDescription

let package = Package(
    name: "Seq2Seq",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Seq2Seq", targets: ["Seq2Seq"]),
        .library(name: "Seq2SeqTraining", targets: ["Seq2SeqTraining"]),
        .library(name: "Seq2SeqServer", targets: ["Seq2SeqServer"]),
        .executable(name: "seq2seq", targets: ["seq2seq"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation --target Seq2Seq` builds the DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // `seq2seq serve` (Seq2SeqServer only): HTTP on SwiftNIO, graceful shutdown on SIGTERM,
        // Prometheus metrics, multipart uploads (the OpenAI audio API).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // 1. Tensor core: micro-kernels in C (runtime CPU dispatch), everything else Swift.
        .target(name: "CSeq2SeqKernels"),
        .target(name: "Seq2SeqTensor", dependencies: ["CSeq2SeqKernels"]),
        // 2. Weights I/O: safetensors, CTranslate2 and Marian binaries, Hugging Face config files.
        .target(name: "Seq2SeqIO", dependencies: ["Seq2SeqTensor"]),
        // 3. Generation: greedy, beam, sampling, logits processors; knows no family.
        .target(name: "Seq2SeqGeneration", dependencies: ["Seq2SeqTensor", "Seq2SeqIO"]),
        // 4. Tokenizers: SentencePiece models and Hugging Face tokenizer.json pipelines.
        .target(name: "Seq2SeqTokenizers", dependencies: ["Seq2SeqIO"]),
        // 5. Models: one generic encoder-decoder, families as configurations; a model folder
        // loaded with its generation defaults and tokenizer (`Seq2SeqModel`, `ModelTokenizer`); conversion.
        .target(name: "Seq2SeqModels", dependencies: ["Seq2SeqTensor", "Seq2SeqIO", "Seq2SeqGeneration", "Seq2SeqTokenizers"]),
        // 6. Audio: WAV and compressed audio decoding, resampling to 16 kHz, STFT, Whisper log-mel.
        .target(name: "Seq2SeqAudio", dependencies: ["Seq2SeqTensor", "Seq2SeqIO"]),
        // 7. Metrics: BLEU, chrF, TER and WER as sacreBLEU and jiwer compute them (Foundation only).
        .target(name: "Seq2SeqMetrics"),
        // The system zlib (Whisper's compression-ratio check; dictd dictionaries in the benchmark tool).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // 8. Whisper: transcription — window decoding, temperature fallback, long-form seeking,
        // word timestamps, its logits processors and transcript formats.
        .target(name: "Seq2SeqWhisper", dependencies: ["Seq2SeqModels", "Seq2SeqAudio", "CZlib"]),
        // 9. The umbrella: re-exports the layers above, and translation (`Translator`).
        .target(name: "Seq2Seq", dependencies: ["Seq2SeqTensor", "Seq2SeqIO", "Seq2SeqModels", "Seq2SeqGeneration", "Seq2SeqTokenizers",
                                                "Seq2SeqAudio", "Seq2SeqMetrics", "Seq2SeqWhisper"]),
        // 10. Training: reverse-mode autograd over the tensor kernels, losses, optimisers, data,
        // the trainable Transformer and its Hugging Face export, and the `Trainer` (validated by
        // the inference engine).
        .target(name: "Seq2SeqTraining", dependencies: ["Seq2Seq"]),
        // Hugging Face Hub: the cache layout huggingface_hub writes, downloads over HTTPS (FoundationNetworking).
        .target(name: "Seq2SeqHub"),
        // 11. The HTTP server (LibreTranslate, OpenAI audio and native APIs, the attention
        // explorer page): a library an application can embed; `seq2seq serve` wraps it.
        .target(name: "Seq2SeqServer", dependencies: [
            "Seq2Seq",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // 12. The command-line tool.
        .executableTarget(
            name: "seq2seq",
            dependencies: ["Seq2Seq", "Seq2SeqTraining", "Seq2SeqHub", "Seq2SeqServer", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Benchmarks and the FreeDict training-data recipe (dictd dictionaries), outside the library.
        .target(name: "FreeDict", dependencies: ["Seq2SeqTraining", "CZlib"], path: "Benchmarks/FreeDict"),
        .executableTarget(name: "seq2seq-bench", dependencies: ["Seq2Seq", "Seq2SeqTraining", "FreeDict"], path: "Benchmarks/seq2seq-bench"),
        .executableTarget(name: "seq2seq-fuzz", dependencies: ["Seq2Seq", "Seq2SeqTraining", "Seq2SeqServer", "FreeDict"],
                          path: "Fuzz/seq2seq-fuzz"),

        .testTarget(name: "Seq2SeqTensorTests", dependencies: ["Seq2SeqTensor"]),
        .testTarget(name: "Seq2SeqIOTests", dependencies: ["Seq2SeqIO"]),
        .testTarget(name: "Seq2SeqGenerationTests", dependencies: ["Seq2SeqGeneration", "Seq2SeqIO"]),
        .testTarget(name: "Seq2SeqTokenizersTests", dependencies: ["Seq2SeqTokenizers"]),
        .testTarget(name: "Seq2SeqAudioTests", dependencies: ["Seq2SeqAudio"]),
        .testTarget(name: "Seq2SeqMetricsTests", dependencies: ["Seq2SeqMetrics"]),
        .testTarget(name: "Seq2SeqWhisperTests", dependencies: ["Seq2Seq"]),
        .testTarget(name: "Seq2SeqTrainingTests", dependencies: ["Seq2SeqTraining"]),
        .testTarget(name: "FreeDictTests", dependencies: ["FreeDict"]),
        .testTarget(name: "Seq2SeqModelsTests", dependencies: ["Seq2Seq", "Seq2SeqTraining", "Seq2SeqHub", "Seq2SeqServer"]),
        .testTarget(name: "Seq2SeqCLITests", dependencies: ["Seq2Seq", "Seq2SeqHub"]),
        .testTarget(name: "Seq2SeqHubTests", dependencies: ["Seq2SeqHub"]),
        .testTarget(name: "Seq2SeqServerTests", dependencies: ["Seq2SeqServer", "Seq2Seq"]),
    ],
    swiftLanguageModes: [.v5]
)
