from importlib.metadata import version


def test_version_came_from_the_git_tag():
    assert version("vcspkg") == "1.2.3"
