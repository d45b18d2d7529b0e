from sample_app.text import slugify, truncate


def test_slugify_ascii():
    assert slugify("Hello, World!") == "hello-world"


def test_slugify_accents():
    assert slugify("Héllo Wörld") == "hello-world"


def test_truncate_keeps_short_text():
    assert truncate("abc", 5) == "abc"


def test_truncate_marks_the_cut():
    assert truncate("abcdef", 4) == "abc…"
