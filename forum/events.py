"""What happened, for the areas that react: blinker signals sent inside the writing transaction.

The thread and moderation services announce what they did; engagement (follows,
mentions, notifications) listens. So the thread service never imports engagement,
and a new reaction (a digest, a webhook) is a new listener, not an edit of the
thread service. Listeners run synchronously, in the same transaction as the
write: inside :func:`all_or_nothing`, a listener that fails takes the write with
it, and nothing half-done remains even if the caller then commits.

Each signal's sender and keywords (they are the listener's arguments):

- ``thread_created``: the new Thread; ``opening=`` its first Post
- ``reply_created``: the new reply (a Post)
- ``post_edited``: the editor (a User); ``post=`` the changed Post
- ``answer_accepted``: the actor; ``thread=``, ``post=`` the answer, ``practice=`` the linked
  practice that solves it instead (both None when cleared)
- ``post_moderated``: the facilitator; ``action=`` ("hide_post", "lock" ...), ``thread=``,
  ``post=``; approving or refusing a member also ``member=`` (thread and post None when they
  wrote nothing)
- ``practice_verified``: the facilitator; ``thread=`` the practice, ``verified=`` True when
  marked "Terverifikasi" (or its summary rewritten), False when the mark is taken away
- ``post_written``: a Post just created or edited; ``author=`` who wrote it, ``files=`` the
  checked uploads that come with it (attachments stores them, or refuses the whole write)
- ``adoption_recorded``: the Adoption just recorded or updated; ``practice=`` its Thread,
  ``post=`` the reply telling the thread about it
- ``offer_made``: the new partners Offer (on a challenge; ``offer.thread``)
- ``offer_answered``: who accepted or declined it (a User); ``offer=`` the Offer (its ``status``)
- ``offer_delivered``: who marked it delivered (a User); ``offer=`` the Offer
- ``library_join_requested``: the new LibraryRequest (a member asks to join a library with members)
- ``library_join_decided``: who answered (a User); ``request=`` the LibraryRequest (its ``status``)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from blinker import Namespace

from .extensions import db

_signals = Namespace()

thread_created = _signals.signal("thread created")
reply_created = _signals.signal("reply created")
post_edited = _signals.signal("post edited")
answer_accepted = _signals.signal("answer accepted")
post_moderated = _signals.signal("post moderated")
post_written = _signals.signal("post written")
adoption_recorded = _signals.signal("adoption recorded")
practice_verified = _signals.signal("practice verified")
offer_made = _signals.signal("offer made")
offer_answered = _signals.signal("offer answered")
offer_delivered = _signals.signal("offer delivered")
library_join_requested = _signals.signal("library join requested")
library_join_decided = _signals.signal("library join decided")


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """A savepoint around a write and the signals it sends: any exception undoes both."""
    with db.session.begin_nested():
        yield
