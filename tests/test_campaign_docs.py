"""docs/campaigns.md shows exactly the campaign examples the code validates and the OpenAPI document carries."""

import json
import re
from pathlib import Path

import msgspec

from edge.domain.campaigns import EXAMPLES, Campaign

DOC = Path(__file__).parent.parent / "docs" / "campaigns.md"


def test_the_campaign_docs_have_one_example_per_kind_equal_to_the_code():
    text = DOC.read_text()
    found = {m.group(1): json.loads(m.group(2))
             for m in re.finditer(r"### `(\w+)`\n\n.*?\n\n```json\n(.*?)\n```", text, re.S)}
    assert found == EXAMPLES
    for body in found.values():
        msgspec.convert(body, Campaign)
