"""Reference outputs of Hugging Face generate() for the table model of the generation tests.

The table model: logits of source s, decoder position t, previous token p are
TABLE[s][t][p] (a [V] row), independent of anything else. It is wrapped as a tiny
encoder-decoder transformers model so that `generate` runs its real greedy, sampling and beam
search code; the Swift tests run the same table through Seq2SeqGeneration and compare ids and
sequences_scores.

    python3 scripts/generation_reference.py   # writes Tests/Fixtures/generation/reference.json

Needs transformers==5.24.0 and torch.
"""
import json
import os

import torch
import transformers
from transformers import GenerationMixin, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput, Seq2SeqLMOutput

SOURCES, POSITIONS, VOCAB = 3, 24, 16
START, EOS = 0, 1

generator = torch.Generator().manual_seed(1234)
TABLE = torch.randn(SOURCES, POSITIONS, VOCAB, VOCAB, generator=generator) * 2.0
TABLE[:, :, :, EOS] += 0.5  # hypotheses of many lengths
# Four decimals, so the JSON is small and both sides round the same decimals to float32.
TABLE = torch.tensor([[[[round(x, 4) for x in row] for row in prev] for prev in pos] for pos in TABLE.tolist()],
                     dtype=torch.float32)
TABLE_JSON = [[[[round(x, 4) for x in row] for row in prev] for prev in pos] for pos in
              (TABLE.to(torch.float64).tolist())]


class TableConfig(PretrainedConfig):
    model_type = "table"

    def __init__(self, **kwargs):
        kwargs.setdefault("is_encoder_decoder", True)
        super().__init__(**kwargs)
        self.vocab_size = VOCAB


class TableEncoder(torch.nn.Module):
    main_input_name = "input_ids"

    def forward(self, input_ids=None, attention_mask=None, **kwargs):
        # The "memory" is the source index as a float, shape [B, 1, 1].
        return BaseModelOutput(last_hidden_state=input_ids[:, :1, None].to(torch.float32))


class TableModel(PreTrainedModel, GenerationMixin):
    config_class = TableConfig
    main_input_name = "input_ids"

    def __init__(self, config):
        super().__init__(config)
        self.encoder = TableEncoder()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def get_encoder(self, modality=None):
        return self.encoder

    def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None, encoder_outputs=None, **kwargs):
        sources = encoder_outputs[0][:, 0, 0].long()
        b, t = decoder_input_ids.shape
        logits = torch.empty(b, t, VOCAB)
        for i in range(b):
            for j in range(t):
                logits[i, j] = TABLE[sources[i], j, decoder_input_ids[i, j]]
        return Seq2SeqLMOutput(logits=logits)

    def prepare_inputs_for_generation(self, decoder_input_ids, encoder_outputs=None, attention_mask=None, **kwargs):
        return {"decoder_input_ids": decoder_input_ids, "encoder_outputs": encoder_outputs,
                "attention_mask": attention_mask}


CASES = [
    ("greedy", {}),
    ("greedy_max_new_5", {"max_new_tokens": 5}),
    ("greedy_min_new_8", {"min_new_tokens": 8}),
    ("greedy_repetition_1.5", {"repetition_penalty": 1.5}),
    ("greedy_no_repeat_2", {"no_repeat_ngram_size": 2}),
    ("greedy_two_eos", {"eos_token_id": [1, 2]}),
    ("greedy_prefix", {"decoder_prefix": [5, 7]}),
    ("beam4", {"num_beams": 4}),
    ("beam4_return2", {"num_beams": 4, "num_return_sequences": 2}),
    ("beam4_lp0.6", {"num_beams": 4, "num_return_sequences": 4, "length_penalty": 0.6}),
    ("beam4_lp2", {"num_beams": 4, "num_return_sequences": 4, "length_penalty": 2.0}),
    ("beam4_lp-1", {"num_beams": 4, "num_return_sequences": 2, "length_penalty": -1.0}),
    ("beam4_early_true", {"num_beams": 4, "num_return_sequences": 4, "early_stopping": True}),
    ("beam4_early_never", {"num_beams": 4, "num_return_sequences": 4, "early_stopping": "never"}),
    ("beam4_early_never_lp2", {"num_beams": 4, "num_return_sequences": 2, "early_stopping": "never",
                               "length_penalty": 2.0}),
    ("beam3_no_repeat_2", {"num_beams": 3, "num_return_sequences": 3, "no_repeat_ngram_size": 2}),
    ("beam4_min_new_6", {"num_beams": 4, "num_return_sequences": 2, "min_new_tokens": 6}),
    ("beam4_repetition_1.3", {"num_beams": 4, "num_return_sequences": 2, "repetition_penalty": 1.3}),
    ("beam4_max_new_6", {"num_beams": 4, "num_return_sequences": 4, "max_new_tokens": 6}),
    ("beam2_two_eos", {"num_beams": 2, "num_return_sequences": 2, "eos_token_id": [1, 2]}),
    ("beam4_forced_bos_eos", {"num_beams": 4, "num_return_sequences": 2, "forced_bos_token_id": 6,
                              "forced_eos_token_id": 1, "max_length": 8}),
    ("beam4_prefix", {"num_beams": 4, "num_return_sequences": 2, "decoder_prefix": [5]}),
    # opus-mt's generation settings: banned pad, forced EOS, renormalized beam scores.
    ("beam4_renormalize_bad_words_forced_eos", {"num_beams": 4, "num_return_sequences": 2, "renormalize_logits": True,
                                                "bad_words_ids": [[3]], "forced_eos_token_id": 1, "max_length": 9}),
    ("greedy_renormalize", {"renormalize_logits": True, "bad_words_ids": [[3]]}),
    ("greedy_exponential_decay", {"exponential_decay_length_penalty": [3, 1.5]}),
    ("beam4_exponential_decay", {"num_beams": 4, "num_return_sequences": 2, "exponential_decay_length_penalty": [2, 1.3]}),
    # Settings that read the source (here the single id s of source s).
    ("greedy_encoder_no_repeat_1", {"encoder_no_repeat_ngram_size": 1}),
    ("beam4_encoder_no_repeat_1", {"num_beams": 4, "num_return_sequences": 2, "encoder_no_repeat_ngram_size": 1}),
    ("beam4_encoder_repetition_2", {"num_beams": 4, "num_return_sequences": 2, "encoder_repetition_penalty": 2.0}),
    ("beam4_remove_invalid_values", {"num_beams": 4, "num_return_sequences": 2, "bad_words_ids": [[3]],
                                     "remove_invalid_values": True}),
]


def run_case(model, kwargs):
    kwargs = dict(kwargs)
    prefix = kwargs.pop("decoder_prefix", None)
    settings = {"decoder_start_token_id": START, "eos_token_id": EOS, "pad_token_id": START,
                "return_dict_in_generate": True, "output_scores": True, "use_cache": False}
    settings.update(kwargs)
    input_ids = torch.arange(SOURCES)[:, None]
    extra = {}
    if prefix is not None:
        extra["decoder_input_ids"] = torch.tensor([[START] + prefix] * SOURCES)
    out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), **settings, **extra)
    prompt = 1 + (len(prefix) if prefix else 0)
    eos = settings["eos_token_id"]
    eos = eos if isinstance(eos, list) else [eos]
    ids = []
    for row in out.sequences.tolist():
        generated = row[prompt:]
        # HF pads after EOS (greedy rows that stopped, shorter beam hypotheses): cut there.
        cut = next((i + 1 for i, token in enumerate(generated) if token in eos), len(generated))
        ids.append(generated[:cut])
    case = {"kwargs": kwargs, "prefix": prefix or [], "ids": ids}
    if getattr(out, "sequences_scores", None) is not None:
        case["scores"] = out.sequences_scores.tolist()
    return case


def main():
    model = TableModel(TableConfig()).eval()
    cases = []
    with torch.no_grad():
        for name, kwargs in CASES:
            case = run_case(model, kwargs)
            case["name"] = name
            cases.append(case)
    fixture = {
        "transformers": transformers.__version__,
        "vocab": VOCAB, "start": START, "eos": EOS,
        "table": TABLE_JSON,
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "generation", "reference.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
