"""The lock book's list of stored locks: a sale skips the database only where the book says no lock
of the lane (or the checkout) is stored, so the list may keep a gone lock but never miss a stored one."""

from edge.services.lock_book import LockBook


def test_a_release_that_commits_after_a_newer_save_of_the_same_checkout_keeps_it_listed():
    book = LockBook()
    book.stored("co-1", "L1")
    released = book.unstore_later("co-1")  # one command of a group releases it...
    book.stored("co-1", "L1")  # ...a later one of the same group stores it again
    released()  # the group commits: the first command's callback runs last
    assert book.may_be_stored("co-1") and book.lane_may_have_stored("L1")


def test_a_committed_release_forgets_the_checkout_and_its_lane_once_the_lane_holds_nothing_else():
    book = LockBook()
    book.load_stored([("co-1", "L1"), ("co-2", "L1"), ("co-3", "L2")])
    book.unstore_later("co-1")()
    assert not book.may_be_stored("co-1") and book.lane_may_have_stored("L1")
    book.unstore_later("co-2")()
    assert not book.lane_may_have_stored("L1") and book.lane_may_have_stored("L2")
    book.unstore_later("co-2")()  # released twice (a cancel after the sweep): nothing to forget
    assert book.lane_may_have_stored("L2")


def test_a_checkout_quoted_again_from_another_lane_moves_to_that_lane():
    book = LockBook()
    book.stored("co-1", "L1")
    book.stored("co-1", "L2")
    assert not book.lane_may_have_stored("L1") and book.lane_may_have_stored("L2")
    book.unstore_later("co-1")()
    assert not book.lane_may_have_stored("L2") and not book.may_be_stored("co-1")
