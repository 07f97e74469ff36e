"""Several `casebot serve` replicas on one PostgreSQL database.

One process keeps its passing state in memory (bot/threads.py, bot/intake/chat.py,
bot/limits.py, the Slack adapter's redelivery check). With CASEBOT_DATABASE_URL, the
replicas of a deployment share what the next request may need, whichever replica gets it:

* `shared`: the store's shared table as the replicas see it (add previews, thread
  follow-up context, Slack's redeliveries, rate limits per person);
* `threads`, `previews`: the thread contexts and add previews kept there;
* `corpus_sync`: one corpus version everywhere (a reload on one replica reloads all,
  over LISTEN/NOTIFY), and the version `/readyz` reports;
* `gateway`: the one replica that holds Discord's gateway, elected with an advisory lock.

Nothing here is used with SQLite: one process, today's behaviour.
"""
