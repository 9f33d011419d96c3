#!/usr/bin/env python3
"""Builds the tiny random Hugging Face Whisper checkpoints in Tests/Fixtures/ and their references.

Tests/Fixtures/whisper-hf/      a WhisperForConditionalGeneration laid out as openai/whisper-* on
                                the Hub: config.json, model.safetensors (float16, the LM head tied
                                to the decoder embeddings), generation_config.json (alignment_heads,
                                suppress_tokens, begin_suppress_tokens, lang_to_id, task_to_id,
                                no_timestamps_token_id, is_multilingual, forced_decoder_ids, …),
                                preprocessor_config.json (80 mel bins) and tokenizer.json: the real
                                multilingual Whisper tokenizer (51,865 ids), taken from the fetched
                                Whisper base model and written without indentation.
Tests/Fixtures/whisper-hf-ct2/  the same weights converted by CTranslate2's own converter
                                (ctranslate2.converters.TransformersConverter, float16): model.bin
                                and config.json; tokenizer.json is a link to the one above and the
                                converter's vocabulary.json is left out (nothing here reads it).
Tests/Fixtures/whisper-hf-128/  a second checkpoint with 128 mel bins (as large-v3 has), a small
                                vocabulary and an English-only generation config; no tokenizer.

Each HF folder gets `reference.json` from transformers (float32): teacher-forced logits (a fixed
set of vocabulary columns, the top 10 and the log-sum-exp of every position) and what
`WhisperForConditionalGeneration.generate` returns on the input features (greedy and beam search,
forced language / task / <|notimestamps|>), and `input_features.first208.npy`: the first 208 of
the 3000 frames transformers' WhisperFeatureExtractor makes of Tests/Fixtures/audio/pcm16_mono_16k.wav
(every later frame equals frame 207: the padding; the script checks it).

    scripts/fetch_whisper_models.sh                 # the real tokenizer (models/whisper-base)
    pip install -r scripts/requirements-fixtures.txt ctranslate2==4.8.5
    python3 scripts/make_whisper_hf_fixture.py

The Swift tests only read the committed files; this script is not part of CI.
"""
import json
import os
import shutil
import sys
import tempfile
import wave

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    GenerationConfig, WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration)
from transformers.models.whisper.configuration_whisper import NON_SPEECH_TOKENS_MULTI  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "Tests", "Fixtures")
BASE_TOKENIZER = os.environ.get("WHISPER_BASE_TOKENIZER", os.path.join(HERE, "..", "models", "whisper-base", "tokenizer.json"))
CORPUS = os.path.join(ROOT, "tokenizers", "corpus.txt")
CLIP = os.path.join(ROOT, "audio", "pcm16_mono_16k.wav")
STORED_FRAMES = 208


def write_json(path, value, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=indent, ensure_ascii=False)
        f.write("\n")


def minified_tokenizer(target):
    """The real Whisper base tokenizer.json without indentation; the same tokenizer (checked)."""
    from tokenizers import Tokenizer
    with open(BASE_TOKENIZER, encoding="utf-8") as f:
        data = json.load(f)
    with open(target, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    a, b = Tokenizer.from_file(BASE_TOKENIZER), Tokenizer.from_file(target)
    assert a.get_vocab(with_added_tokens=True) == b.get_vocab(with_added_tokens=True)
    with open(CORPUS, encoding="utf-8") as f:
        for line in f.read().splitlines()[:400]:
            assert a.encode(line).ids == b.encode(line).ids, line
    return data


def clip_samples():
    with wave.open(CLIP, "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def features(folder, mels):
    """transformers' log-mel of the clip, [mels, 3000]; stores the first 208 frames."""
    extractor = WhisperFeatureExtractor(feature_size=mels)
    extractor.save_pretrained(folder)
    feats = extractor(clip_samples(), sampling_rate=16000, return_tensors="np").input_features[0].astype(np.float32)
    assert feats.shape == (mels, 3000)
    assert (feats[:, STORED_FRAMES:] == feats[:, STORED_FRAMES - 1:STORED_FRAMES]).all(), "padding frames differ"
    np.save(os.path.join(folder, f"input_features.first{STORED_FRAMES}.npy"), np.ascontiguousarray(feats[:, :STORED_FRAMES]))
    return torch.from_numpy(feats)[None]


def perturb(model, seed):
    """Non-degenerate random weights, rounded to float16 (the stored precision)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "model.encoder.embed_positions.weight":
                pass  # Whisper's fixed sinusoids, as transformers initialises them
            elif name == "model.decoder.layer_norm.weight":
                # gains of both signs: the last state is not the input token's own embedding
                # again (with the head tied to the embeddings, random models repeat a token)
                p.copy_(torch.randn(p.shape, generator=g))
            elif "layer_norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif name == "model.decoder.embed_tokens.weight":
                p.copy_(torch.randn(p.shape, generator=g))  # logits spread over a few units
            elif "embed_positions" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(0.8 / fan_in ** 0.5 * torch.randn(p.shape, generator=g))
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


def make_eos_reachable(model, input_features, prompt, eos, position=10):
    """Random Whisper models never stop. EOS takes over the (tied) row of the token that a first
    generation (without suppression) writes first at `position` or later, scaled by 1.01: EOS
    wins wherever that token would, so generations end at varied lengths and beams finish."""
    with torch.no_grad():
        ids = model.generate(input_features, decoder_input_ids=torch.tensor([prompt]), max_new_tokens=40,
                             begin_suppress_tokens=None, suppress_tokens=None)[0, len(prompt):].tolist()
        token = next(t for i, t in enumerate(ids) if i >= position and t not in ids[:position] and t != eos)
        table = model.model.decoder.embed_tokens.weight
        table[eos] = (1.01 * table[token]).half().float()
    return token


def check_conditioning(model, input_features, dec):
    """float32 logits within 2e-5 of float64: the tests' 1e-4 measures the implementation."""
    import copy
    with torch.no_grad():
        a = model(input_features=input_features, decoder_input_ids=dec, use_cache=False).logits
        b = copy.deepcopy(model).double()(input_features=input_features.double(), decoder_input_ids=dec, use_cache=False).logits
    diff = (a.double() - b).abs().max().item()
    assert diff < 2e-5, f"badly conditioned: float32 vs float64 logits differ by {diff}"
    return diff


def teacher_forced(model, input_features, dec, columns):
    with torch.no_grad():
        logits = model(input_features=input_features, decoder_input_ids=dec, use_cache=False).logits[0]
    top = logits.topk(10, dim=-1)
    return {
        "decoder_input_ids": dec[0].tolist(),
        "columns": columns,
        "logits": logits[:, columns].tolist(),
        "top_ids": top.indices.tolist(),
        "top_logits": top.values.tolist(),
        "logsumexp": torch.logsumexp(logits.double(), -1).tolist(),
    }


def base_fixture(tokenizer_data):
    folder = os.path.join(ROOT, "whisper-hf")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    tokens = {t["content"]: t["id"] for t in tokenizer_data["added_tokens"]}
    sot, eot, notimestamps = tokens["<|startoftranscript|>"], tokens["<|endoftext|>"], tokens["<|notimestamps|>"]
    translate, transcribe = tokens["<|translate|>"], tokens["<|transcribe|>"]
    lang_to_id = {t: i for t, i in tokens.items() if sot < i < translate}
    assert len(lang_to_id) == 99 and sot == 50258 and notimestamps == 50363
    config = WhisperConfig(
        vocab_size=51865, num_mel_bins=80, d_model=8, encoder_layers=2, decoder_layers=3,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_source_positions=1500, max_target_positions=448, decoder_start_token_id=sot,
        pad_token_id=eot, bos_token_id=eot, eos_token_id=eot, suppress_tokens=NON_SPEECH_TOKENS_MULTI,
        begin_suppress_tokens=[220, eot], activation_function="gelu", scale_embedding=False)
    torch.manual_seed(0)
    model = perturb(WhisperForConditionalGeneration(config).eval(), 21)
    input_features = features(folder, 80)
    prompt = [sot, lang_to_id["<|en|>"], transcribe, notimestamps]
    make_eos_reachable(model, input_features, prompt, eot)
    gen = GenerationConfig(
        alignment_heads=[[1, 0], [2, 0], [2, 1]], begin_suppress_tokens=[220, eot], bos_token_id=eot,
        decoder_start_token_id=sot, eos_token_id=eot, forced_decoder_ids=[[1, None], [2, transcribe]],
        is_multilingual=True, lang_to_id=lang_to_id, max_initial_timestamp_index=50, max_length=448,
        no_timestamps_token_id=notimestamps, pad_token_id=eot, prev_sot_token_id=tokens["<|startofprev|>"],
        return_timestamps=False, suppress_tokens=NON_SPEECH_TOKENS_MULTI,
        task_to_id={"transcribe": transcribe, "translate": translate})
    model.generation_config = gen
    model.half().save_pretrained(folder)
    model.float()
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "tokenizer_class": "WhisperTokenizer", "model_max_length": 1024, "errors": "replace",
        "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>", "add_prefix_space": False})
    minified_tokenizer(os.path.join(folder, "tokenizer.json"))
    model = WhisperForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()

    g = torch.Generator().manual_seed(23)
    text = torch.randint(0, eot, (8,), generator=g).tolist()
    dec = torch.tensor([prompt + text])
    conditioning = check_conditioning(model, input_features, dec)
    columns = sorted(set(range(0, 51865, 97)) | set(range(eot, notimestamps + 8)) | set(text) | {220, 51864})
    runs = []
    for name, language, task, beams in [("greedy-en-transcribe", "en", "transcribe", 1),
                                         ("beam4-en-transcribe", "en", "transcribe", 4),
                                         ("greedy-fr-translate", "fr", "translate", 1),
                                         ("beam3-de-transcribe", "de", "transcribe", 3)]:
        r = run_generate(model, input_features, language=language, task=task, num_beams=beams, max_new_tokens=40)
        r.update(name=name, language=language, task=task, num_beams=beams, max_new_tokens=40)
        runs.append(r)
    reference = {
        "transformers": transformers.__version__, "torch": torch.__version__,
        "float64_conditioning": conditioning,
        "features": {"file": f"input_features.first{STORED_FRAMES}.npy", "frames": 3000,
                     "note": "frames from the stored count on repeat the last stored frame"},
        "teacher_forced": teacher_forced(model, input_features, dec, columns),
        "generation": runs,
    }
    write_json(os.path.join(folder, "reference.json"), reference, indent=None)
    return folder, model, input_features


def run_generate(model, input_features, **kwargs):
    """transformers' Whisper generate: its returned ids (the forced prompt, EOS and padding
    removed), the underlying sequence with its prompt, and the beam score."""
    with torch.no_grad():
        out = model.generate(input_features, return_dict_in_generate=True, output_scores=True, **kwargs)
        plain = model.generate(input_features, **kwargs)
    eos = model.generation_config.eos_token_id
    ids = [t for t in plain[0].tolist()]
    while ids and ids[-1] == eos:  # padding (pad = EOS) after a sequence that ended
        ids.pop()
    result = {"ids": ids, "sequence": out.sequences[0].tolist()}
    if getattr(out, "sequences_scores", None) is not None:
        result["sequences_score"] = out.sequences_scores[0].item()
    return result


def ct2_conversion(hf_folder, name="whisper-hf-ct2", quantization="float16"):
    """CTranslate2's converter on the same checkpoint (float16, as the weights are stored; or
    int8 for scripts/make_ct2_int8_fixture.py) into Tests/Fixtures/NAME."""
    import ctranslate2
    from ctranslate2.converters import TransformersConverter
    folder = os.path.join(ROOT, name)
    shutil.rmtree(folder, ignore_errors=True)
    scratch = tempfile.mkdtemp(prefix=name + "-")
    out = os.path.join(scratch, "ct2")
    TransformersConverter(hf_folder, copy_files=["preprocessor_config.json"]).convert(out, quantization=quantization)
    os.makedirs(folder)
    for name in ["model.bin", "config.json", "preprocessor_config.json"]:
        shutil.copy(os.path.join(out, name), os.path.join(folder, name))
    os.symlink(os.path.join("..", "whisper-hf", "tokenizer.json"), os.path.join(folder, "tokenizer.json"))
    shutil.rmtree(scratch)
    return ctranslate2.__version__


def mel128_fixture():
    folder = os.path.join(ROOT, "whisper-hf-128")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    eot, sot, notimestamps = 100, 101, 110
    config = WhisperConfig(
        vocab_size=120, num_mel_bins=128, d_model=8, encoder_layers=1, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=16, decoder_ffn_dim=16,
        max_source_positions=1500, max_target_positions=448, decoder_start_token_id=sot, pad_token_id=eot,
        bos_token_id=eot, eos_token_id=eot, suppress_tokens=[3, 5, 7], begin_suppress_tokens=[10, eot])
    torch.manual_seed(1)
    model = perturb(WhisperForConditionalGeneration(config).eval(), 31)
    input_features = features(folder, 128)
    prompt = [sot, notimestamps]
    make_eos_reachable(model, input_features, prompt, eot)
    model.generation_config = GenerationConfig(
        alignment_heads=[[1, 0], [1, 1]], begin_suppress_tokens=[10, eot], bos_token_id=eot, decoder_start_token_id=sot,
        eos_token_id=eot, is_multilingual=False, max_length=448, no_timestamps_token_id=notimestamps, pad_token_id=eot,
        return_timestamps=False, suppress_tokens=[3, 5, 7])
    model.half().save_pretrained(folder)
    model = WhisperForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
    g = torch.Generator().manual_seed(33)
    dec = torch.tensor([prompt + torch.randint(0, eot, (8,), generator=g).tolist()])
    conditioning = check_conditioning(model, input_features, dec)
    runs = []
    for name, beams in [("greedy", 1), ("beam4", 4)]:
        r = run_generate(model, input_features, num_beams=beams, max_new_tokens=30)
        r.update(name=name, num_beams=beams, max_new_tokens=30, prefix=[notimestamps])
        runs.append(r)
    write_json(os.path.join(folder, "reference.json"), {
        "transformers": transformers.__version__, "torch": torch.__version__, "float64_conditioning": conditioning,
        "features": {"file": f"input_features.first{STORED_FRAMES}.npy", "frames": 3000,
                     "note": "frames from the stored count on repeat the last stored frame"},
        "teacher_forced": teacher_forced(model, input_features, dec, list(range(120))),
        "generation": runs,
    }, indent=None)


def main():
    if not os.path.exists(BASE_TOKENIZER):
        sys.exit(f"{BASE_TOKENIZER} is missing: run scripts/fetch_whisper_models.sh first")
    with open(BASE_TOKENIZER, encoding="utf-8") as f:
        tokenizer_data = json.load(f)
    folder, _, _ = base_fixture(tokenizer_data)
    version = ct2_conversion(folder)
    print(f"whisper-hf-ct2: converted with ctranslate2 {version}")
    mel128_fixture()
    for name in ["whisper-hf", "whisper-hf-ct2", "whisper-hf-128"]:
        path = os.path.join(ROOT, name)
        size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
                   if not os.path.islink(os.path.join(path, f)))
        print(f"{name}: {size} bytes")


if __name__ == "__main__":
    main()
