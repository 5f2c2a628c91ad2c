from impasto.kit.search_text import MAX_QUERY_TERMS, padded, query_terms, tokens


def test_tokens_fold_case_accents_and_punctuation() -> None:
    assert tokens("FLUX.1 [dev]") == ["flux", "1", "dev"]
    assert tokens("Café-Crème_v2") == ["cafe", "creme", "v2"]
    assert tokens("  ") == []


def test_padded_form_makes_prefix_and_word_tests_substring_tests() -> None:
    stored = padded("Image tools", "fast")
    assert stored == " image tools fast "
    assert " ima" in stored
    assert " image " in stored
    assert " age" not in stored  # not a token prefix
    assert padded("") == " "


def test_query_terms_are_distinct_and_capped() -> None:
    assert query_terms("flux Flux dev") == ["flux", "dev"]
    assert len(query_terms(" ".join(f"w{i}" for i in range(20)))) == MAX_QUERY_TERMS
    assert query_terms("'\" OR 1=1 --") == ["or", "1"]
