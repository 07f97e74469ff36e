"""casebot's English: every word list the retrieval code uses, in one place.

Everything here is general English or general legal usage. Nothing names a party, a
product, a court or an outlet of any one case: the same lists serve every corpus, and a
test runs them on a corpus other than the seed. Each list says what it is for; adding a
word to one changes how every question is read, so an entry must be true of English in
general, not of one question.

Lists:
- STOP_WORDS: function words dropped from passages and questions alike.
- FILLER_WORDS: words that shape a question or a chat message but carry no topic
  ("tell me", "basically", "stuff"); dropped from questions only.
- CONTRACTIONS / SHORTHAND: chat spellings read as the words they stand for
  ("whats", "didnt", "ppl", "w/o").
- PHRASES: multi-word paraphrases read as the one word the sources would use
  ("backed out" → "withdrew", "took them to court" → "sued").
- SYNONYMS: groups of words that mean the same thing in reporting on a lawsuit; a word
  asked also finds the others, at lower weight.
- ANSWER_TYPES: what kind of sentence answers a question, from how it is asked, with
  CLAIM_FRAME, OPINION_VERBS, PERSON_NOUNS and IRREGULAR_PLURALS ("how many people").
- Sentence marks: SAYING (someone's words), REASON_MARKERS, QUANTITY_WORDS, PLACE_MARKERS,
  HYPOTHETICAL and REQUESTED (a step imagined or asked for, not taken), ORGANISATION and
  LAW_FIRM, NOT_A_PERSON_ENDINGS, NOT_COUNTED (units after a number), FIGURE_WORDS and
  BACKGROUND_WORDS (a company's figures and history, no events of a case).
- REFERS_BACK: definite descriptions that name a party without its name ("the company").
- is_lawsuit_word: whether a word is of the vocabulary of any lawsuit (the lists above),
  not of what one case is about.
- Procedure words: the steps of a lawsuit (filed, dismissed, settled, …), words that
  name a case, words that ask where a case stands, and words that point at another case
  (OTHER_CASE_WORDS, EARLIER_CASE_QUESTION).

The regular expressions here are compiled on first use (`lazy`, retrieval/language/
patterns.py): a question needs only some of them, and compiling them all on import cost a
one-shot `casebot ask` milliseconds it did not use. They match exactly what `re.compile`
would.
"""

from __future__ import annotations

import re

from retrieval.language.patterns import lazy

# --- words without a topic ------------------------------------------------------------------

# Standard English function words (Snowball's list, without "not", which carries meaning
# here), plus contraction pieces left by splitting at apostrophes ("didn't" → "didn", "t").
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t d ll m re ve
    also may might must shall us via whether yet didn doesn don isn wasn weren aren hasn haven
    hadn couldn wouldn shouldn won ain per
    """.split()
)

# Words that shape a question but say nothing about its topic. In passages they are
# ordinary words and stay searchable; only questions drop them.
FILLER_WORDS = frozenset(
    """
    say said says known explain describe give gave get gets got gotten getting go goes going
    happen happened happening mean means meant please anything something thing things
    kind sort much many way ways now currently current still really actually exactly
    latest recent recently new update updates details detail info information
    name named called show shows showed
    status ongoing outcome pending stand stands standing
    stuff basically literally like kinda sorta lol lmao haha hey hi hello ok okay um uh hmm
    btw tbh imo idk fyi pls plz thanks thx anyone someone somebody anybody guys folks
    wondering curious question quick wait yeah yep right even ever else besides whole idea
    honestly seriously simply exact precisely anyway anyways though tho
    today yesterday tomorrow tonight lately nowadays casebot bot eventually ultimately finally
    behind beyond near toward towards within inside outside across along among around upon
    onto versus amid
    """.split()
)

# What may stand before the question word of a question asked inside another ("i'm
# wondering who the judge is", "any idea which court", "roughly how many people"): verbs
# of knowing and asking, and the hedges of an estimate. Before the question word, with
# function and filler words only, they are read away so the question is read from there.
EMBEDDING_WORDS = frozenset(
    """
    know knows tell wonder wondering wondered ask asking asked guess remind remember recall
    sure idea clue find figure trying try want wanna need needs check confirm
    roughly approximately approx around about nearly almost exactly precisely circa
    """.split()
)

# Apostrophes people leave out in chat. (With the apostrophe the tokenizer already splits
# "what's" into "what" + "s".) Only forms that are not also ordinary words: "its", "were",
# "well", "ill", "hell", "shed" and "wed" are left alone.
CONTRACTIONS = {
    "whats": "what is", "whos": "who is", "wheres": "where is", "whens": "when is",
    "hows": "how is", "whys": "why is", "thats": "that is", "theres": "there is",
    "heres": "here is", "isnt": "is not", "arent": "are not", "wasnt": "was not",
    "werent": "were not", "dont": "do not", "doesnt": "does not", "didnt": "did not",
    "cant": "can not", "couldnt": "could not", "wouldnt": "would not",
    "shouldnt": "should not", "wont": "will not", "havent": "have not", "hasnt": "has not",
    "hadnt": "had not", "im": "i am", "ive": "i have", "youre": "you are",
    "theyre": "they are", "theyve": "they have", "weve": "we have", "aint": "is not",
    "whatre": "what are", "howd": "how did", "whatd": "what did",
    # With the apostrophe, where a question's shape depends on it ("who's the lawyer").
    "who's": "who is", "what's": "what is", "where's": "where is", "when's": "when is",
    "how's": "how is", "why's": "why is", "that's": "that is", "there's": "there is",
    "isn't": "is not", "aren't": "are not", "wasn't": "was not", "weren't": "were not",
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "can not",
    "won't": "will not", "hasn't": "has not", "haven't": "have not",
}  # fmt: skip

# Chat shorthand, read as the words it stands for.
SHORTHAND = {
    "ppl": "people", "u": "you", "ur": "your", "r": "are", "y": "why", "abt": "about",
    "bc": "because", "cuz": "because", "coz": "because", "cos": "because", "b4": "before",
    "thru": "through", "govt": "government", "gov": "government", "msg": "message",
    "msgs": "messages", "dm": "message", "dms": "messages", "amt": "amount", "yr": "year",
    "yrs": "years", "mo": "month", "mos": "months", "wk": "week", "wks": "weeks",
    "rn": "now", "asap": "soon", "wat": "what", "wut": "what", "teh": "the",
    "repping": "representing", "rep": "represent", "reps": "represent", "deets": "details",
    "org": "organization", "orgs": "organizations", "co": "company", "corp": "corporation",
    "approx": "approximately", "num": "number", "mil": "million", "mill": "million",
    "bil": "billion", "vs": "versus", "lawyered": "lawyer", "gonna": "going", "wanna": "want",
    "gotta": "must", "max": "maximum", "min": "minimum",
}  # fmt: skip

# Written with a slash; read before tokenizing, which would split them.
SLASHED = {"w/o": "without", "w/": "with", "b/c": "because", "a/k/a": "also known as"}

# A question framed as what someone thinks or claims ("why do *the plaintiffs think*
# LinkedIn knew …", "what does *the complaint allege* …"): the frame (group 1, its subject
# and verb) says whose view is asked; the sources attribute every claim anyway, so only
# the clause after it has to be covered. ("What did X say" and "what does X think of Y"
# ask for X's words, and "did the judge think it fair" for the judge's view: no frames.)
CLAIM_FRAME = lazy(
    r"^(?:why|how|what)\s+(?:do|does|did)\s+((?:the\s+)?\w+\s+"
    r"(?:think|thinks|believe|believes|feel|feels|claim|claims|allege|alleges|argue|argues|"
    r"contend|contends|suggest|suggests))\b(?=\s+(?!of\b|about\b)\w)"
)

# Multi-word paraphrases, each read as the word the sources would use. Patterns run on
# the folded question; `\1` keeps a captured word (the party taken to court).
PHRASES: tuple[tuple[str, str], ...] = (
    (r"\b(?:backed|backing|back|pulled|pulling|pull|walked|walking|walk)\s+(?:out|away)\b", "withdrew"),
    (r"\b(?:called|calling|call)\s+off\b", "withdrew"),
    # A court throws out or tosses what it dismisses.
    (r"\b(?:throw|throws|threw|thrown|throwing|toss|tosses|tossed|tossing)\s+(?:out\b)?", "dismissed "),
    (r"\b(?:gave|give|giving)\s+up\s+(?:on\s+)?(?:the|their|his|her)\s+(?:case|suit|lawsuit|claim)\b", "withdrew the case"),
    (r"\b(?:took|take|takes|taking|taken)\s+((?:\w+\s+){0,2}?)to\s+court\b", r"sued \1in court"),
    # Prepositional phrases that read as one preposition: "as part of the deal" is "in it".
    (r"\b(?:as|are|is|were|was|be|being)\s+(?:a\s+)?part\s+of\b", "in"),
    # "in the end", like "eventually": when, not what.
    (r"\bin\s+the\s+end\b", ""),
    # "did LinkedIn update its policy": the verb, not "any updates?" (news).
    (r"\b(did|does|do|will|would|could|can|has|have|had|to)\s+((?:\w+\s+){0,3}?)(?<!any\s)(?<!the\s)(?<!an\s)(?<!no\s)update\b",
     r"\1 \2revise"),
    (r"\b(?:turn|turned|turning|switch|switched|switching|shut|shutting)\s+((?:\w+\s+){0,3}?)off\b", r"disable \1"),
    (r"\bopt(?:ed|ing)?[\s-]+out\b", "disable"),
    (r"\b(?:turn|turned|turning|switch|switched|switching)\s+(?:it\s+|this\s+|that\s+)?on\b", "enable"),
    # "turn the setting on?": a particle set apart from its verb, at the end.
    (r"\b(?:turn|turned|turning|switch|switched|switching)\s+((?:\w+\s+){1,3}?)on(?=\W*$)", r"enable \1"),
    (r"\b(?:left|leave|leaves|leaving)\s+out\b", "excluded"),
    (r"\bopt(?:ed|ing)?[\s-]+in\b", "enable"),
    (r"\b(?:roll|rolled|rolling)\s+out\b", "introduced"),
    # "did the settlement go up": a sum that rose or fell.
    (r"\b(?:go|goes|went|gone|going)\s+up\b", "increased"),
    (r"\b(?:go|goes|went|gone|going)\s+down\b", "decreased"),
    (r"\b(?:spit|spits|spat|churn|churns|pump|pumps)\s+out\b", "generates"),
    (r"\b(?:come|came|comes)\s+up\s+with\b", "generates"),
    (r"\bhow\s+come\b", "why"),
    # "what are they asking for": what they seek (not whom they asked).
    (r"\bask(?:s|ed|ing)?\s+for\b", "seeking"),
    # "is this the first time …": has it ever happened (an earlier case), not a time.
    (r"\b(?:the\s+)?first\s+time\b", "ever"),
    (r"\bpa(?:y|ys|id|ying)\s+up\b", "paid to settle"),
    (r"\bwork(?:s|ed|ing)?\s+(?:at|for)\b", "employed by"),
    (r"\bcourt\s+dates?\b", "hearing"),
    (r"\b(?:get|gets|got|gotten|been|in)\s+(?:in\s+|into\s+)?trouble\b", "penalized"),
    # "what did they say back", "LinkedIn hit back": a response.
    (r"\b(?:say|said|says|hit|hits|fire|fired|fires|push|pushed|pushes|shot|shoot)\s+back\b", "respond"),
    (r"\bsign(?:ed)?\s+off\s+on\b", "approved"),
    (r"\bgo(?:es|ing)?\s+to\s+trial\b", "trial"),
    (r"\bon\s+by\s+default\b", "enabled by default"),
    (r"\bin\s+charge\s+of\b", "presiding over"),
    # "was supposed to be" is what was planned, not what is alleged ("supposedly").
    (r"\bsupposed\s+to\b", "planned to"),
    # Starting a lawsuit is filing it: "which writers started the case".
    (r"\b(?:start|starts|started|starting|begin|begins|began|launch|launched)\s+(?:the\s+|this\s+|a\s+|their\s+)?"
     r"(case|lawsuit|suit|litigation|class\s+action)\b", r"filed the \1"),
    # "who is representing the authors" asks for their lawyer (not whom they represent).
    (r"^who\s+(?:is\s+|are\s+|was\s+|were\s+)?represent(?:s|ing|ed)?\b", "who is the lawyer for"),
    (r"\bbig\s+deal\b", "important"),
    (r"\b(?:are|is|were|was)\s+(?:they|he|she|you|we|it|the\s+\w+)\s+after\b(?=\W*$)", "are they seeking"),
    (r"\b(?:case|docket)\s+(?:number|no|#)", "docket number"),
    # "do the articles agree?", "seems like the sources differ": about the sources'
    # agreement, which every answer shows; the figures asked about are the question.
    (r"\b(?:the\s+)?(?:articles?|sources?|reports?|outlets?|stories|papers)\s+(?:do\s+not\s+|does\s+not\s+|did\s+not\s+)?"
     r"(?:agree|disagree|differ|conflict|contradict)\w*\b", ""),
    (r"\b(?:it\s+)?seems?\s+(?:like|that|as\s+if)\b", ""),
    (r"\b(?:i\s+)?(?:keep\s+)?(?:seeing|see|saw|hearing|hear|heard|getting|reading)\s+(?:diff|different|conflicting|two|mixed)\s+"
     r"(?:numbers|figures|dates|days|answers|reports|things|versions)\b", ""),
    # Openings that only say a question follows.
    (r"^(?:any\s+idea|(?:do|does)\s+(?:you|anyone|anybody)\s+know|(?:can|could)\s+(?:you|someone|anyone)\s+tell\s+(?:me|us)|"
     r"(?:please\s+)?tell\s+(?:me|us)(?:\s+about)?|"
     r"(?:i\s+)?(?:was\s+)?wondering|quick\s+question|question)[\s,:]+", ""),
)

# --- words that mean the same --------------------------------------------------------------

# Each group: words that mean the same thing in reporting on a lawsuit. A question word in
# a group also finds the group's other words (at SYNONYM_WEIGHT). Keep groups true in
# general: a wrong synonym makes a wrong quote.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("sue", "sued", "suing", "lawsuit", "suit", "complaint", "litigation", "case", "file", "filed",
     "filing"),
    ("withdraw", "withdrew", "withdrawn", "drop", "dropped", "dismiss", "dismissed",
     "abandon", "abandoned", "discontinue", "discontinued"),
    ("plaintiff", "plaintiffs", "claimant", "claimants", "behalf"),  # "filed on behalf of X"
    ("lawyer", "lawyers", "attorney", "attorneys", "counsel", "represent",
     "representing", "represents", "represented", "solicitor"),
    ("allege", "alleged", "allegedly", "allegation", "allegations", "accuse", "accused",
     "claim", "claims", "supposedly", "purportedly", "contend"),
    ("break", "broke", "broken", "breach", "breached", "breaching", "violate", "violated",
     "violating", "violation", "infringe", "infringed", "infringement"),
    ("law", "laws", "act", "statute", "statutes"),
    ("damages", "compensation", "money", "pay", "payment", "payout", "cash", "award",
     "restitution", "reimbursement", "recovery"),  # a "recovery": what a lawsuit wins back
    ("seek", "seeks", "sought", "seeking", "want", "wants", "demand", "demands", "request",
     "requests", "ask", "asking"),
    ("respond", "response", "reply", "react", "reaction", "deny", "denied", "denies",
     "refute", "refuted", "rebut", "statement", "comment", "commented"),
    ("proof", "evidence", "indication", "prove", "proven"),
    ("share", "shared", "sharing", "disclose", "disclosed", "disclosing", "divulge",
     "divulged", "provide", "provided", "hand", "handed"),
    ("private", "confidential", "personal", "sensitive"),
    ("message", "messages", "email", "emails", "mail", "communications"),
    ("consent", "permission", "agree", "agreed", "authorization"),
    ("settle", "settled", "settling", "settlement", "settlements", "deal", "deals"),
    ("court", "tribunal"),
    ("judge", "judges", "justice", "magistrate", "presiding", "preside"),
    ("exempt", "exempted", "exclude", "excluded", "exempting", "spared"),
    ("country", "countries", "region", "regions", "nation", "nations", "place", "places"),
    ("revenue", "revenues", "earn", "earned", "earnings", "income", "sales"),
    ("buy", "bought", "acquire", "acquired", "acquisition", "purchase", "purchased"),
    ("notify", "notified", "inform", "informed", "tell", "telling", "warn", "warned", "notice"),
    ("change", "changed", "changes", "update", "updated", "revise", "revised", "amend",
     "amended", "modify", "modified", "rewrite", "rewrote", "rewritten", "alter", "altered"),
    ("increase", "increased", "increases", "raise", "raised", "boost", "boosted", "add", "added",
     "rise", "rose", "grew", "grow"),
    ("decrease", "decreased", "decreases", "cut", "cuts", "reduce", "reduced", "lower", "lowered",
     "fell", "fall"),
    ("secret", "secretly", "quietly", "covert", "covertly", "hidden", "hide", "conceal",
     "concealed"),
    ("policy", "policies", "terms", "rules"),
    ("setting", "settings", "toggle", "option", "options", "preference", "preferences"),
    ("default", "automatically", "automatic", "auto"),
    ("disable", "disabled", "deactivate", "opt", "untick", "uncheck"),
    ("enable", "enabled", "activate", "activated"),
    ("introduce", "introduced", "launch", "launched", "unveil", "unveiled", "debut",
     "start", "started", "begin", "began", "founded", "founder", "founders", "cofounded"),
    ("paid", "paying", "subscriber", "subscribers", "subscription", "subscriptions"),
    ("home", "homes", "household", "households", "residence", "residences"),
    ("user", "users", "member", "members", "customer", "customers", "people", "person",
     "individual", "individuals", "account", "accounts"),
    ("company", "companies", "business", "corporation", "firm", "firms", "entity", "entities",
     "organization", "organizations", "organisation", "organisations"),
    ("outlet", "outlets", "publication", "newspaper", "media", "press"),
    ("big", "bigger", "biggest", "large", "larger", "largest", "huge", "size", "scale"),
    ("train", "training", "trained", "feed", "fed"),
    ("generate", "generates", "generated", "produce", "produces", "create", "creates"),
    ("fake", "false", "inaccurate", "misleading", "misinformation", "incorrect"),
    ("responsibility", "responsible", "liable", "liability", "accountable", "disavow",
     "disavowed"),
    ("know", "knew", "aware", "awareness", "knowledge"),
    ("win", "won", "prevail", "prevailed", "succeed", "succeeds"),
    ("certify", "certified", "certification"),
    ("approve", "approved", "approval"),
    ("plan", "plans", "planned", "schedule", "scheduled", "slated"),
    ("ruling", "ruled", "rule", "decision", "decided", "verdict", "judgment", "sided"),
    ("author", "authors", "writer", "writers", "novelist", "novelists"),
    ("book", "books", "novel", "novels"),
    ("pirate", "pirated", "piracy", "stolen", "stealing"),
    ("fine", "fined", "penalty", "penalties", "penalized", "sanction", "sanctioned"),
    ("investigate", "investigating", "investigation", "probe", "inquiry"),
    ("price", "cost", "costs", "fee", "fees", "charge", "charges"),
    ("undo", "undone", "reverse", "reversed"),
    ("important", "significant", "serious", "matter", "matters"),
    ("include", "included", "includes", "including", "cover", "covers", "covered"),
    ("appeal", "appeals", "appealed", "appealing"),
    ("free", "nonpaying", "unpaid"),
    ("legal", "illegal", "legally", "illegally", "lawful", "unlawful", "unlawfully", "legality"),
)
SYNONYM_WEIGHT = 0.6  # an alternative counts for less than the word that was asked

# --- what kind of sentence answers ---------------------------------------------------------

# Answer types, by how a question opens (after filler). Each is a name the ranking stage
# knows how to test a sentence for; see retrieval/answering/ranking.py.
ANSWER_TYPES: tuple[tuple[str, str], ...] = (
    # "why do the plaintiffs think …" asks for their argument, not a cause: no type.
    ("reason", r"^(?:why|for\s+what\s+reason|what\s+(?:is|was)\s+the\s+reason)\b(?!\s+(?:do|does|did)\s+(?:the\s+)?\w+\s+(?:think|believe|say|claim|allege|argue|feel)\b)"),
    ("person", r"^(?:who|whom|whose)\b|^(?:which|what)\s+(?:person|people|lawyer|lawyers|attorney|attorneys|judge|judges|author|authors|plaintiff|plaintiffs|firm|company|companies|outlet|outlets)\b"),
    ("date", r"^(?:when|since\s+when|what\s+(?:year|date|day|month|time)|which\s+(?:year|date|day|month)|how\s+long\s+ago)\b"),
    ("money", r"^(?:how\s+much|what\s+(?:amount|figure|sum|price))\b"
              r"|^what\s+(?:is|are|was|were)\s+the\s+(?:max|maximum|minimum|total|average|amount|size|value|cost|price)\b"),
    # "how big is the company": its figures (staff, revenue, markets) answer.
    # "how long can they keep it": a duration is a count of days, months or years.
    ("count", r"^(?:how\s+many|what\s+(?:number|percentage|percent|share)|how\s+(?:big|large|small)|how\s+long(?!\s+ago))\b"),
    # "what book did she write" asks for a title, as "what is the name of" does.
    ("name", r"^what\s+(?:is|was|are)\s+(?:the\s+)?names?\s+of\b|\b(?:called|titled|named)\s*\??$"
             r"|^(?:what|which)\s+(?:books?|novels?|titles?|films?|movies?|songs?|albums?|poems?|plays?)\b"
             # "what law did they break": a law is named ("the Stored Communications Act")
             r"|^(?:what|which)\s+(?:laws?|statutes?|acts?|regulations?|legislation)\b"),
    ("place", r"^(?:where|(?:which|what)\s+(?:court|courts|state|states|country|countries|city|cities|district|region|regions)|in\s+(?:what|which)\s+court)\b"),
    # Someone's words, when saying is what is asked ("what did X say", "did X say anything
    # about it", "how did X respond") rather than a frame for a claim ("the complaint says
    # LinkedIn breached …").
    ("words", r"\b(?:respond|responded|react|reacted|reply|replied|comment|commented|statement|say|said|says)\b"
              r"(?:\s+(?:anything|something|much|publicly|about|on|to|after|when|in|so|at|of)\b.*)?\W*$"
              # "what did Johnson think of the deal": his view, in his words
              r"|^(?:what|how)\s+(?:do|does|did)\s+.+\s+(?:think|thinks|feel|feels)\s+(?:of|about)\b"),
)

# Nouns for people and organisations: "which <noun>" or "who is the <noun>" asks for a
# name, so only a sentence naming one near the noun answers it.
# "what does X think of Y" asks for X's words: the verb is no topic of them.
OPINION_VERBS = frozenset("think thinks thought feel feels felt".split())

# Plurals without an "s", for "how many people …".
IRREGULAR_PLURALS = frozenset("people men women children persons staff police".split())

PERSON_NOUNS = frozenset(
    """person people lawyer lawyers attorney attorneys counsel firm firms judge judges
    plaintiff plaintiffs defendant defendants author authors writer writers company
    companies outlet outlets ceo executive executives official officials spokesperson
    spokesman spokeswoman reporter reporters journalist journalists publisher publishers
    regulator regulators""".split()
)

# Nouns that say what kind of answer is wanted when a question names one without a
# wh-word ("judge?", "deadline to file a claim?") or asks "which <noun>": general English.
# (Person nouns are PERSON_NOUNS above.)
KIND_NOUNS = {
    "date": frozenset("date dates day days deadline deadlines year years month months time".split()),
    "money": frozenset(
        """damages fine fines penalty penalties amount amounts payout payouts payment payments
        compensation cost costs price fee fees worth value sum sums award awards""".split()
    ),
    "place": frozenset("court courts venue state states city cities country countries location district".split()),
    "count": frozenset("number numbers count percentage percent share".split()),
    "name": frozenset("law laws statute statutes act regulation regulations legislation product products".split()),
    # "openai reaction to the ruling?": someone's words answer.
    "words": frozenset("reaction reactions response responses statement statements comment comments reply".split()),
}

# "who is suing?": the asker wants the plaintiff, whom reporting names as "plaintiff" or
# "filed on behalf of".
WHO_SUES = lazy(r"^(?:who|whom)\b.*\b(?:sue|sues|sued|suing|filed|brought)\b|^who\s+(?:is|are|was|were)\s+behind\b")
PLAINTIFF_WORD = "plaintiff"
# What a question that names nothing of its own ("when did this happen?") is asked about:
# the case its sources are about.
CASE_WORD = "lawsuit"

# A question about a sum for each one, not a total: "how much would each owner get",
# "damages per person?", "what's the payout per claim".
FOR_EACH = lazy(r"\b(?:each|per|apiece|every|individual|individually)\b")
# A sum of money, not just any number: the answer to "how much".
CURRENCY = lazy(r"[$€£¥]\s?\d|\b(?:dollars?|euros?|pounds?|cents?|usd|eur|gbp)\b", re.I)
# A sentence about what may or would happen, not what did: no answer to "did the judge
# approve it?".
# A step asked for, not taken: "denied the motion to dismiss", "a bid to settle".
REQUESTED = lazy(
    r"\b(?:motion|motions|move|moves|moved|moving|bid|bids|request|requests|requested|petition|"
    r"petitioned|asks?|asked|asking|urged|sought|seeks?)\s+(?:\w+\s+){0,3}?to\s+\w+",
    re.I,
)
HYPOTHETICAL = lazy(r"^(?:if|should|unless|once)\b|\b(?:would|could|might|will)\s+(?:have\s+|be\s+)?\w+", re.I)
# Sentences that give a reason: the answer to a "why" question.
REASON_MARKERS = lazy(
    r"\b(?:because|since|due\s+to|owing\s+to|as\s+a\s+result|in\s+order\s+to|so\s+that|"
    r"reason|reasons|given\s+that|citing|cited|led\s+to|following|amid|in\s+response\s+to|"
    r"in\s+light\s+of|thanks\s+to|to\s+avoid|to\s+protect|"
    # the grounds given with a decision: "declined to approve it, stating that …"
    r"stating\s+that|saying\s+that|arguing\s+that|noting\s+that)\b",
    re.I,
)
# Verbs that report someone's words: the answer to "what did X say".
SAYING = lazy(
    r"[\"“”]|\b(?:said|says|stated|stating|states|told|commented|comment|declined|respond|responded|denied|"
    r"statement|spokesperson|spokesman|spokeswoman|insists?|called|"
    # a judge's words are a ruling and its opinion: "Alsup wrote", "the judge ruled"
    r"wrote|writes|ruled|found|concluded)\b",
    re.I,
)
# Counts in words as well as figures ("hundreds of thousands").
QUANTITY_WORDS = lazy(
    r"\d|\b(?:hundreds|thousands|millions|billions|dozens|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|twelve|twenty|trio|pair|half|quarter)\b",
    re.I,
)
# Words that end a capitalised run naming a law, a body, a place or a product rather than
# a person ("Stored Communications Act", "Northern District", "Microsoft Teams").
NOT_A_PERSON_ENDINGS = frozenset(
    """Act Acts Law Laws Code Rule Rules Agreement Agreements Court Courts Office Agency
    Commission Committee Council Board Department Ministry Authority Union Policy News Times
    Post Journal Press District Circuit County State States Kingdom Republic Province City
    Area Region Economic Business Group Company Corporation Inc Corp Ltd LLC LLP PC Bank
    University College School Institute Association Foundation Fund Trust Center Centre
    Service Services Network Platform Program Programme Project Pro Plus Protection
    Regulation Directive Amendment Constitution Street Avenue Road""".split()
)
# A definite description that refers back to a party named just before: "It alleges that
# *the company* downloaded …" after a sentence naming it. (Pronouns are left out: "it"
# as often means the lawsuit or the filing as the party.)
REFERS_BACK = lazy(
    r"\b(?:the|this|that)\s+(?:[\w-]+\s+)?(?:company|companies|firm|startup|business|giant|platform|"
    r"network|service|defendant|defendants|plaintiff|plaintiffs|group|judge)\b",
    re.I,
)
# A law firm by its legal form ("Brenner Hale LLP", "Edelson PC"): who represents a party,
# never the party.
LAW_FIRM = lazy(r"\b[A-Z]\w+,? (?:PC|P\.C\.|LLP|PLLC|LLC)(?!\w)")
# Organisations named with a legal form: "Edelson PC", "Acme, Inc.".
ORGANISATION = lazy(r"\b[A-Z]\w+,? (?:PC|LLP|LLC|Inc\.?|Corp\.?|Ltd\.?|PBC|plc|GmbH|SA|AG)(?!\w)")
# A sentence that names a place or a court: "in San Jose", "in a California federal court",
# "the U.S. District Court", "Northern District of California". ("in court" names none.)
PLACE_MARKERS = lazy(
    r"\b(?:in|at|from)\s+(?:a\s+|an\s+|the\s+)?[A-Z][a-z]+"
    r"|\b[A-Z][\w.]*\s+(?:Court|District|County|State|Circuit)\b"
    r"|\b(?:District|Court|County|State)\s+of\s+[A-Z]"
)

# --- lawsuit procedure ------------------------------------------------------------------------

# Things a lawsuit has that reporting may never mention. Asked about and absent from every
# source, each is the question's key content, however common a word it is in English
# ("fine", "trial"), so its absence means the sources can't answer.
PROCEDURE_WORDS = frozenset(
    """judge judges jury juror jurors trial hearing hearings docket motion motions verdict
    appeal appeals appealed ruling rulings injunction subpoena deposition discovery
    magistrate prejudice sanction sanctions fine fined fines penalty settlement settled
    damages testimony witness witnesses indictment arraignment plea sentence sentenced
    prosecutor prosecutors defendant defendants certification certified ceo investigation
    investigating regulator regulators""".split()
)
# Words that refer to the sources rather than the case: every quote is cited, so in a
# question about the case ("which article says …") they are no part of what is asked.
SOURCE_WORDS = frozenset(
    """source sources outlet outlets article articles publication publications site sites
    website websites story stories report reports reporting link links url urls list
    piece pieces""".split()
)

# Procedural steps, strongest last: when two share a date, the later step in a case's
# life (a dismissal after a filing) says where the case stands.
STEPS: tuple[tuple[str, str], ...] = (
    ("filed", r"filed|filing|submitted|brought|initiated|sued|accused"),
    ("amended", r"amended|refiled|re-filed"),
    ("transferred", r"transferred|consolidated|stayed"),
    ("certified", r"certified|certification|certify"),
    ("ruled", r"ruled|ruling|granted|denied\s+(?:a|the|\w+['’]s)\s+motion|verdict|judgment|sided\s+with|"
              r"refused\s+to\s+(?:throw\s+out|dismiss|toss)"),
    ("appealed", r"appealed|appeal"),
    ("settled", r"settled|settlement|agreed\s+to\s+pay|resolved\s+(?:a|the|its|their)\s+(?:\w+\s+)?(?:suit|lawsuit|case|claims)|"
                r"resolve\s+(?:a|the|its|their)\s+(?:\w+\s+)?(?:suit|lawsuit|case|claims)"),
    ("approved", r"approved|approval|signed\s+off"),
    ("dismissed", r"dismissed|dismissal|dropped|thrown\s+out|threw\s+out|tossed"),
    ("withdrawn", r"withdrawn|withdrew|withdrawal"),
)
# A question names a step in any form ("did they settle?", "will it be dismissed?"); the
# sources report it in the forms of STEPS. These are the forms questions add.
STEP_QUESTION_FORMS = {
    "filed": "file|files|sue|sues|suing|sued", "amended": "amend|amends|refile|refiles",
    "transferred": "transfer|consolidate|stay", "certified": "certify|certifies",
    "ruled": "rule|rules|decide|decided|decides", "appealed": "appeals",
    "settled": "settle|settles|settling", "approved": "approve|approves|approving",
    "dismissed": "dismiss|dismisses|drop|drops|dropping",
    # "was the lawsuit dropped?": a plaintiff drops a suit by withdrawing it as often as a
    # judge's dismissal drops it; the question names either step.
    "withdrawn": "withdraw|withdraws|withdrawing|drop|drops|dropping|dropped",
}  # fmt: skip
# Words of a company's history rather than of a case: "Founded in 2016 by …", "acquired
# Parcelo in 2022", "was named entrepreneur of the year in 2019". A dated sentence with one
# and no procedural step is background, not an event of the case.
BACKGROUND_WORDS = lazy(
    r"\b(?:founded|founder|co-?founded|acquired|acquisition|bought|merger|merged|headquartered|"
    r"headquarters|employs|employees|named|award|awarded|went\s+public|listed|opened|established)\b",
    re.I,
)
# Words after a number that make it no count of things: "20 percent", "2 million", "30
# days", "100,000 times".
NOT_COUNTED = frozenset(
    """percent per cent million millions billion billions thousand thousands hundred times
    years year days day months month weeks week hours hour minutes miles feet pounds""".split()
)
# Words of a business figure: "$1.7 billion in revenue in 2023" dates a figure, not an event
# of the case.
FIGURE_WORDS = lazy(
    r"\b(?:revenue|revenues|profit|profits|earnings|sales|income|turnover|valued|valuation|"
    r"worth|market\s+share|users|subscribers|members)\b",
    re.I,
)
# Words that put a step in the future or the hypothetical ("will approve", "could be
# dismissed", "is expected to settle").
MODAL_WORDS = r"will|would|could|might|may|should|expected\s+to|set\s+to|plans?\s+to|likely\s+to|if|awaits?|awaiting"
# Words that name a case.
CASE_WORDS = r"(?:lawsuit|lawsuits|suit|suits|case|cases|complaint|class[- ]action|legal\s+action|litigation|settlement|deal)"
# Reporting verbs: a step after one of these is what the complaint says someone did, not
# a step of the case ("the complaint alleges LinkedIn amended its terms").
REPORTING_VERBS = r"alleg\w*|claim\w*|say\w*|said|state\w*|argu\w*|accus\w*|contend\w*"
# Words that ask where a case stands ("is it still going on?"). Some only in that sense:
# "stand" not as "stand for" (an acronym), "over" not as "hand over", "new" only alone or of
# news ("anything new?", not "new chats"), "news" and "update(s)" as a noun of their own
# ("any news", "an update on the case", not "BBC News" or "the policy update").
_NEWS_BEFORE = "".join(
    rf"(?<=\b{w}\s)|" for w in ("any", "an", "the", "latest", "recent", "new", "more", "further", "some", "no")
)
STATUS_WORDS = (
    r"status|still|stands?(?!\s+for\b)|standing|ongoing|going\s+on|pending|"
    r"(?<!hand\s)(?<!handed\s)(?<!turn\s)(?<!turned\s)(?<!take\s)(?<!taken\s)over(?=\W*$|\s+yet\b)|outcome|latest|"
    r"currently|now|yet|new(?=\s*(?:$|[?!.,]|developments?\b|updates?\b|news\b|(?:on|with|in)\s+(?:the|this|it)\b))|"
    r"happened|happening|resolved|ended|active|alive|continuing|"
    rf"(?:{_NEWS_BEFORE}(?<![\w,]\s)(?<!\w))(?:news|updates?)|(?:news|updates?)(?=\s+(?:on|about|re|regarding|with)\b)|"
    r"where\s+(?:is|are|does)\s+(?:it|things|this|the\s+case)"
)
# Words that point at another case than the one the corpus is about.
OTHER_CASE_WORDS = r"previous|prior|earlier|past|former|separate|unrelated|another|other|second|similar|several|numerous|multiple"
# A question about another case than this one ("What previous class action did LinkedIn
# settle?", "did Reddit sue them too?") may be answered from sentences about other cases.
# ("The first time" reads as "ever" by PHRASES.)
# Only where the question is about a case or suing at all ("did reddit sue them too?", not
# "does the money go to publishers too"), "before" at its end (not "before they collect
# data"), and "too" as "also" (not "waited too long").
# (Two patterns, both to be found: one joined by lookaheads would scan a long message once
# per character.)
OTHER_CASE_QUESTION = lazy(
    rf"\b(?:{OTHER_CASE_WORDS}|before(?=\W*$)|ever|again|too(?!\s+(?:long|much|many|late|early|soon|far|little|few)\b)|as\s+well)\b"
)
SPEAKS_OF_A_CASE = lazy(rf"\b(?:{CASE_WORDS}|sue|sues|sued|suing)\b")
# A question about the cases before this one: "has it been sued before?", "was it ever
# sued?", "any previous lawsuits?".
EARLIER_CASE_QUESTION = lazy(
    r"\bbefore\W*$|\b(?:previous|prior|earlier|past|former)\s+(?:\w+\s+)?(?:lawsuits?|suits?|cases?|settlements?|fines?)\b"
    r"|\b(?:ever|again)\b"
)
def is_lawsuit_word(word: str) -> bool:
    """Whether a word belongs to the vocabulary of lawsuits in general (a synonym group,
    a procedure word, a step, a case word), not to what one case is about."""
    return word in _LAWSUIT_WORDS or bool(_STEP_OR_CASE.fullmatch(word))


_STEP_OR_CASE = lazy(
    rf"(?:{'|'.join(pattern for _, pattern in STEPS)}|{'|'.join(STEP_QUESTION_FORMS.values())}|{CASE_WORDS})", re.I
)


# Questions about the sources themselves, answered from their front matter.
SOURCE_QUESTION = lazy(
    r"\b(?:your|these|the|which|what)\s+(?:sources?|outlets?|articles?|publications?|news\s+outlets?)\b"
    r"|\b(?:link|url|links|urls)\b|\bwho\s+(?:wrote|reported|authored)\b|\bwhat\s+(?:outlets?|sites?)\b",
)


_LAWSUIT_WORDS = frozenset(word for group in SYNONYMS for word in group) | PROCEDURE_WORDS

# Nouns a sum before them is paid in, one to each ("$397 checks", "a $25 payment"): the
# sum is for each one, not a total (retrieval/case/claims.py).
PAYMENT_NOUNS = r"checks?|cheques?|payments?|payouts?|awards?|refunds?|rebates?|vouchers?"
