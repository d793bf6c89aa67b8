from kb.corpus.normalize import compact, display_text, reflow, search_text


def test_search_text_repairs_pdf_spaces_and_width():
    assert search_text("定 期的に開催") == "定期的に開催"
    assert search_text("地連 ＮＷ にアクセス") == "地連NWにアクセス"
    assert search_text("事 務 連 絡") == "事務連絡"
    assert search_text("第 28 条第１項") == "第28条第1項"
    assert search_text("ＩＣＴを活用") == "ICTを活用"


def test_search_text_keeps_spaces_between_latin_words():
    assert search_text("Ministry of Health") == "Ministry of Health"


def test_search_text_joins_lines_broken_inside_a_sentence():
    assert search_text("協力医療機関と\n\nの連携の下で") == "協力医療機関との連携の下で"


def test_dash_and_tilde_variants_fold_but_long_vowel_mark_stays():
    assert search_text("１－１．") == "1-1."
    assert search_text("①～③") == "1~3"
    assert search_text("ショートステイ") == "ショートステイ"


def test_kangxi_radicals_and_roman_numerals():
    assert search_text("\u2f08") == "人"  # KANGXI RADICAL MAN
    assert search_text("加算（Ⅱ）") == "加算(II)"


def test_markup_remnants_removed():
    out = search_text("<p>< 現行 > なし</p>\t**新設**")
    assert "<p>" not in out and "</p>" not in out and "**" not in out
    assert out.endswith("なし新設")
    assert "**" not in display_text("1. **在宅医療**")


def test_display_keeps_lines_and_drops_spurious_blank_lines():
    text = "会議では、特に協力医療機関に\n \nかかる入所者を中心に行う。\n \n② 次の項目"
    assert display_text(text) == "会議では、特に協力医療機関に\nかかる入所者を中心に行う。\n\n② 次の項目"
    assert reflow(text) == "会議では、特に協力医療機関にかかる入所者を中心に行う。\n\n② 次の項目"


def test_compact_has_no_whitespace():
    assert compact("問 127  職種は\n問わない") == "問127職種は問わない"


def test_query_text_keeps_typed_spaces_as_word_breaks():
    from kb.corpus.normalize import query_text

    assert query_text("リハマネ ハ\u3000要件") == "リハマネ ハ 要件"
    assert query_text(" ＩＣＴ   年３回 ") == "ICT 年3回"
