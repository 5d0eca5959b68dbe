from admit.catalog.search import fuzzy_score, normalise, search_text, tokens


def test_text_is_normalised_for_substring_search() -> None:
    assert normalise("  Ｆｏｏｔｂａｌｌ   FINAL ") == "football final"
    assert search_text("Paper Dragons", "animation", "", ["Family"]) == (
        "paper dragons animation family"
    )
    assert tokens("Orbit  of ICE") == ["orbit", "of", "ice"]


def test_typos_score_high_and_unrelated_words_low() -> None:
    text = search_text("Football: Group A", "football", "", ["games"])
    assert fuzzy_score(["footbal"], text) >= 0.75
    assert fuzzy_score(["group", "footbll"], text) >= 0.75
    assert fuzzy_score(["opera"], text) < 0.75
    assert fuzzy_score(["ball"], text) == 1.0


def test_chinese_text_matches_by_substring() -> None:
    text = search_text("足球小组赛", "足球", "", [])
    assert fuzzy_score(tokens("足球"), text) == 1.0
