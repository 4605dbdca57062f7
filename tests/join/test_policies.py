"""Terms and privacy are pages: default templates in zh-CN and English, the store's own texts by
version, linked from the join form, and the version the customer accepted kept with their consent."""

from join_helpers import csrf_of, join_by_form, path_of

from edge.pages.policy_pages import blocks


def standee_url(api) -> str:
    return api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()["url"]


def consents(store) -> list[tuple]:
    return [tuple(r) for r in store.reader.conn.execute(
        "SELECT purpose, granted, policy_version, channel FROM consents ORDER BY id")]


def test_the_join_form_links_the_terms_and_the_privacy_policy_and_they_open_in_both_languages(api):
    page = api.client.get(path_of(standee_url(api)))
    assert 'href="/legal/terms?lang=zh"' in page.text and 'href="/legal/privacy?lang=zh"' in page.text
    terms = api.client.get("/legal/terms")
    assert terms.status_code == 200 and "<h1>会员条款</h1>" in terms.text and "演示咖啡 Demo Coffee" in terms.text
    privacy = api.client.get("/legal/privacy", params={"lang": "en"})
    assert "<h1>Privacy policy</h1>" in privacy.text and "keyed digest" in privacy.text
    assert 'data-version="2026-01"' in privacy.text  # the defaults stand under the store's configured version
    assert api.client.get("/legal/cookies").status_code == 404


def test_joining_records_the_version_the_customer_was_shown(api, store):
    join_by_form(api.client, standee_url(api), policy_version="2026-01")
    assert consents(store)[0] == ("membership", 1, "2026-01", "join_page")


def test_the_store_publishes_its_own_texts_and_new_joins_accept_that_version(api, store):
    r = api.post("/api/v1/policies", role="manager", json={
        "version": "2026-06", "terms_zh": "## 本店条款\n\n第一条：<b>欢迎</b>。", "terms_en": "## Our terms\n\nRule one."})
    assert r.status_code == 201 and r.json()["custom"] == ["terms_zh", "terms_en"]
    terms = api.client.get("/legal/terms")
    assert "<h1>本店条款</h1>" in terms.text and "&lt;b&gt;欢迎&lt;/b&gt;" in terms.text  # shown, never run
    assert "<h1>隐私政策</h1>" in api.client.get("/legal/privacy").text  # left out: the default template
    page = api.client.get(path_of(standee_url(api)))
    assert 'name="policy_version" value="2026-06"' in page.text
    join_by_form(api.client, standee_url(api))
    assert consents(store)[0][2] == "2026-06"
    old = api.client.get("/legal/terms", params={"version": "2026-01"})
    assert "<h1>会员条款</h1>" in old.text  # the version earlier members accepted can still be read


def test_a_form_shown_before_the_terms_changed_asks_the_customer_to_read_them_again(api, store):
    url = standee_url(api)
    page = api.client.get(path_of(url))
    api.post("/api/v1/policies", role="manager", json={"version": "2026-07", "privacy_zh": "## 新隐私政策\n\n内容"})
    r = api.client.post(path_of(url), data={"csrf": csrf_of(page.text), "phone": "13800138000", "consent": "yes",
                                            "policy_version": "2026-01"})
    assert r.status_code == 409 and 'data-field="policy_version"' in r.text and 'value="2026-07"' in r.text
    assert consents(store) == []


def test_a_published_version_never_changes_and_the_defaults_version_is_taken(api):
    body = {"version": "2026-08", "terms_zh": "## 条款\n\n一"}
    assert api.post("/api/v1/policies", role="manager", json=body).status_code == 201
    assert api.post("/api/v1/policies", role="manager", json=body).status_code == 200
    changed = api.post("/api/v1/policies", role="manager", json={**body, "terms_zh": "## 条款\n\n二"})
    assert changed.status_code == 409 and changed.json()["errors"][0]["field"] == "version"
    assert api.post("/api/v1/policies", role="manager", json={"version": "bad version"}).status_code == 422
    assert api.post("/api/v1/policies", role="lane", json=body).status_code == 403
    assert api.get("/api/v1/policies", role="manager").json()["version"] == "2026-08"


def test_the_defaults_version_cannot_be_republished_with_other_texts(api):
    r = api.post("/api/v1/policies", role="manager", json={"version": "2026-01", "terms_zh": "## 别的\n\n内容"})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "version"


def test_a_policy_text_is_read_as_headings_items_and_paragraphs():
    assert blocks("## Title\n\nFirst line\ncontinues.\n\n- one\n- two\n\n## Next\nbody") == [
        ("h2", "Title"), ("p", "First line continues."), ("li", "one"), ("li", "two"), ("h2", "Next"),
        ("p", "body")]


def test_the_member_page_links_the_version_the_member_accepted(api):
    join_by_form(api.client, standee_url(api))
    api.post("/api/v1/policies", role="manager", json={"version": "2026-09", "terms_zh": "## 新\n\n条款"})
    page = api.client.get("/m").text
    assert "/legal/terms?lang=zh&amp;version=2026-01" in page and "您同意的版本 2026-01" in page
