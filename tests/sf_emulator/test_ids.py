import pytest

from sf_emulator import ids


def test_checksum_of_known_ids():
    # Pairs computed by Salesforce's published algorithm: one bit per
    # uppercase letter in each 5-character block.
    assert ids.to_18("001000000000000") == "001000000000000AAA"
    assert ids.to_18("00Q5g00000ABCDE") == "00Q5g00000ABCDEEA5"
    assert ids.to_18("001900K0001pPuO") == "001900K0001pPuOACU"


def test_normalize_accepts_15_and_any_case_18():
    full = ids.to_18("00Q5g00000AbCdE")
    assert ids.normalize("00Q5g00000AbCdE") == full
    assert ids.normalize(full.lower()) == full
    assert ids.normalize(full.upper()) == full


@pytest.mark.parametrize(
    "value",
    ["", "00Q", "00Q5g00000AbCdE!", "00Q5g00000AbCdEAA", "00Q5g00000AbCdE999", None],
)
def test_normalize_rejects_malformed(value):
    assert ids.normalize(value) is None


def test_new_ids_are_unique_and_prefixed():
    new_ids = {ids.new_id("Lead") for _ in range(1000)}
    assert len(new_ids) == 1000
    assert all(
        record_id.startswith("00Q") and len(record_id) == 18 for record_id in new_ids
    )
    assert all(ids.normalize(record_id) == record_id for record_id in new_ids)
    assert ids.object_type(ids.new_id("EmailMessage")) == "EmailMessage"
