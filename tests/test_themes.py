"""Themes in six languages side by side (issue 27): discussions.themes reads each position as
its language (script, author's page language, stop-word vote), and synthesis.themes names
every language's themes by its own content words, never its stop words. One test reads the
languages from the database; the rest need none."""

import numpy as np
import pytest

from discussions import matrix, themes
from discussions import synthesis as syn
from tests.factories import make_position, make_room

# A breakout conversation on three topics (climate finance, trade tariffs, Security Council
# reform), four phrasings of each in each of the six languages, written natively.
CONVERSATION = {
    "en": [
        [
            "Rich countries must deliver the climate finance they promised to developing nations.",
            "Climate finance should flow as grants, not loans that deepen debt.",
            "Double adaptation finance for the countries hit hardest by the climate crisis.",
            "A new climate finance goal needs far more public and private money.",
        ],
        [
            "Tariffs on steel and aluminium hurt exporters and consumers alike.",
            "Lower tariffs would let poorer economies trade their way to growth.",
            "Retaliatory tariffs start trade wars that nobody wins.",
            "Trade disputes over tariffs belong at the WTO, not in unilateral sanctions.",
        ],
        [
            "The Security Council needs permanent seats for Africa and Latin America.",
            "Limit the veto in the Security Council when mass atrocities are at stake.",
            "Security Council reform must make the council more representative.",
            "Abolish the veto: five permanent members should not block the whole Council.",
        ],
    ],
    "fr": [
        [
            "Les pays riches doivent tenir leurs promesses de financement climatique envers "
            "les pays en développement.",
            "Le financement du climat doit prendre la forme de dons, pas de prêts qui "
            "aggravent la dette.",
            "Il faut doubler le financement de l'adaptation au changement climatique pour les "
            "pays les plus touchés.",
            "Le nouvel objectif de financement du climat exige bien plus de fonds publics et "
            "privés.",
        ],
        [
            "Les droits de douane sur l'acier pénalisent les exportateurs et les consommateurs.",
            "Baisser les droits de douane aiderait les économies pauvres à croître par le "
            "commerce.",
            "Les droits de douane de représailles déclenchent des guerres commerciales sans "
            "vainqueur.",
            "Les différends commerciaux sur les droits de douane relèvent de l'OMC.",
        ],
        [
            "Le Conseil de sécurité a besoin de sièges permanents pour l'Afrique et "
            "l'Amérique latine.",
            "Il faut limiter le veto au Conseil de sécurité en cas d'atrocités de masse.",
            "La réforme du Conseil de sécurité doit le rendre plus représentatif.",
            "Supprimons le droit de veto des cinq membres permanents du Conseil de sécurité.",
        ],
    ],
    "es": [
        [
            "Los países ricos deben cumplir sus promesas de financiación climática a los "
            "países en desarrollo.",
            "La financiación climática debe llegar como donaciones, no como préstamos que "
            "aumentan la deuda.",
            "Hay que duplicar la financiación para la adaptación al cambio climático en los "
            "países más afectados.",
            "El nuevo objetivo de financiación del clima requiere mucho más dinero público y "
            "privado.",
        ],
        [
            "Los aranceles al acero y al aluminio perjudican a exportadores y consumidores.",
            "Reducir los aranceles permitiría a las economías pobres crecer mediante el comercio.",
            "Los aranceles de represalia provocan guerras comerciales que nadie gana.",
            "Las disputas comerciales sobre aranceles deben resolverse en la OMC.",
        ],
        [
            "El Consejo de Seguridad necesita asientos permanentes para África y América Latina.",
            "Hay que limitar el veto en el Consejo de Seguridad ante atrocidades masivas.",
            "La reforma del Consejo de Seguridad debe hacerlo más representativo.",
            "Hay que abolir el veto de los cinco miembros permanentes del Consejo de Seguridad.",
        ],
    ],
    "ru": [
        [
            "Богатые страны должны выполнить обещания по климатическому финансированию для "
            "развивающихся стран.",
            "Климатическое финансирование должно предоставляться в виде грантов, а не "
            "кредитов, увеличивающих долг.",
            "Нужно удвоить финансирование адаптации к изменению климата для наиболее "
            "пострадавших стран.",
            "Новая цель климатического финансирования требует гораздо больше государственных "
            "и частных средств.",
        ],
        [
            "Пошлины на сталь и алюминий вредят экспортёрам и потребителям.",
            "Снижение пошлин позволило бы бедным экономикам расти за счёт торговли.",
            "Ответные пошлины развязывают торговые войны, в которых нет победителей.",
            "Торговые споры о пошлинах должны решаться в ВТО.",
        ],
        [
            "Совету Безопасности нужны постоянные места для Африки и Латинской Америки.",
            "Право вето в Совете Безопасности нужно ограничить в случае массовых злодеяний.",
            "Реформа Совета Безопасности должна сделать его более представительным.",
            "Следует отменить право вето пяти постоянных членов Совета Безопасности.",
        ],
    ],
    "ar": [
        [
            "يجب على الدول الغنية الوفاء بوعودها في تمويل المناخ للدول النامية.",
            "ينبغي أن يأتي تمويل المناخ في شكل منح لا قروض تزيد الديون.",
            "يجب مضاعفة تمويل التكيف مع تغير المناخ للدول الأكثر تضررا.",
            "الهدف الجديد لتمويل المناخ يتطلب أموالا عامة وخاصة أكبر بكثير.",
        ],
        [
            "الرسوم الجمركية على الصلب والألمنيوم تضر بالمصدرين والمستهلكين.",
            "خفض الرسوم الجمركية يساعد الاقتصادات الفقيرة على النمو عبر التجارة.",
            "الرسوم الجمركية الانتقامية تشعل حروبا تجارية لا رابح فيها.",
            "يجب حل النزاعات التجارية حول الرسوم الجمركية في منظمة التجارة العالمية.",
        ],
        [
            "يحتاج مجلس الأمن إلى مقاعد دائمة لأفريقيا وأمريكا اللاتينية.",
            "يجب تقييد حق النقض في مجلس الأمن عند وقوع فظائع جماعية.",
            "إصلاح مجلس الأمن ضروري ليصبح أكثر تمثيلا.",
            "ينبغي إلغاء حق النقض للأعضاء الخمسة الدائمين في مجلس الأمن.",
        ],
    ],
    "zh-hans": [
        [
            "发达国家必须兑现向发展中国家提供气候资金的承诺。",
            "气候资金应当以赠款形式提供，而不是加重债务的贷款。",
            "应当将适应气候变化的资金翻倍，支持受影响最严重的国家。",
            "新的气候融资目标需要更多公共和私人资金。",
        ],
        [
            "对钢铁和铝征收的关税损害了出口商和消费者。",
            "降低关税能让贫穷经济体通过贸易实现增长。",
            "报复性关税引发贸易战，没有赢家。",
            "关税引起的贸易争端应当在世贸组织解决。",
        ],
        [
            "安理会需要为非洲和拉丁美洲增设常任理事国席位。",
            "在发生大规模暴行时，应当限制安理会的否决权。",
            "安理会改革必须使其更具代表性。",
            "应当取消五个常任理事国的否决权。",
        ],
    ],
}


def conversation() -> tuple[list[str], list[str], list[tuple[str, int]]]:
    """The positions interleaved as a room would post them (texts, page languages, and the
    true language and topic of each)."""
    texts, languages, truth = [], [], []
    for phrasing in range(4):
        for topic in range(3):
            for language, topics in CONVERSATION.items():
                texts.append(topics[topic][phrasing])
                languages.append(language)
                truth.append((language, topic))
    return texts, languages, truth


# Content words each language's themes should be named by, one set per topic (Russian by
# stem: its words take case endings).
EXPECTED = {
    "en": [{"climate", "finance"}, {"tariffs", "trade"}, {"council", "security", "veto"}],
    "fr": [
        {"climat", "climatique", "financement"},
        {"douane", "droits", "commerciaux", "commerce"},
        {"conseil", "sécurité", "veto"},
    ],
    "es": [
        {"clima", "climática", "financiación"},
        {"aranceles", "comerciales", "comercio"},
        {"consejo", "seguridad", "veto"},
    ],
    "ru": [{"климат", "финансирован"}, {"пошлин", "торгов"}, {"безопасност", "совет", "вето"}],
    "ar": [{"المناخ", "تمويل"}, {"الرسوم", "الجمركية", "التجارة"}, {"مجلس", "الأمن", "النقض"}],
    "zh-hans": [{"气候", "资金", "融资"}, {"关税", "贸易"}, {"安理会", "否决权", "常任理事"}],
}


def names_topic(term: str, language: str, topic: int) -> bool:
    if language == "ru":
        return any(term.startswith(stem) for stem in EXPECTED[language][topic])
    return term in EXPECTED[language][topic]


def test_themes_of_six_languages_are_named_by_each_languages_content_words():
    texts, languages, truth = conversation()
    found = syn.themes(texts, languages=languages)
    assert sorted(i for t in found for i in t.positions) == list(range(len(texts)))
    for language in CONVERSATION:
        mine = [t for t in found if truth[t.positions[0]][0] == language]
        terms = [term for t in mine for term in t.terms]
        for topic in range(3):
            assert any(names_topic(term, language, topic) for term in terms), (language, topic)
        stop = themes.stop_words(themes.base_language(language))
        assert stop, language  # there is a list for each of the six
        assert not [term for term in terms if term in stop], language
        own_text = " ".join(
            text for text, (lang, _) in zip(texts, truth, strict=True) if lang == language
        )
        assert all(term in own_text.lower() for term in terms), language


def test_themes_keep_to_one_language_each():
    """Without translation two languages share no words: a theme of several languages
    could only be named in one of them."""
    texts, languages, truth = conversation()
    for theme in syn.themes(texts, languages=languages):
        assert len({truth[i][0] for i in theme.positions}) == 1, theme


def test_chinese_themes_are_named_by_words_not_sentences():
    texts, languages, truth = conversation()
    chinese = [
        t for t in syn.themes(texts, languages=languages) if truth[t.positions[0]][0] == "zh-hans"
    ]
    assert chinese
    for theme in chinese:
        assert theme.terms and all(2 <= len(term) <= 4 for term in theme.terms), theme.terms


def test_each_language_is_themed_as_if_it_were_alone():
    """An English session's themes are what they were before other languages came along."""
    texts, languages, truth = conversation()
    english = [i for i, (lang, _) in enumerate(truth) if lang == "en"]
    alone = syn.themes([texts[i] for i in english], languages=["en"] * len(english))
    together = syn.themes(texts, languages=languages)
    in_english = [t for t in together if truth[t.positions[0]][0] == "en"]
    assert [t.terms for t in in_english] == [t.terms for t in alone]
    assert [t.positions for t in in_english] == [
        tuple(english[i] for i in t.positions) for t in alone
    ]


def test_themes_of_german_posted_from_the_english_page_are_not_its_stop_words():
    """The issue's example: German positions named "die, für, das"."""
    german = [
        "Die Klimafinanzierung muss für die armen Länder deutlich steigen",
        "Die reichen Länder müssen das Geld für die Klimafinanzierung bereitstellen",
        "Die Zölle auf Stahl schaden dem Handel und den Verbrauchern",
        "Das ist ein Handelskrieg, die Zölle müssen weg",
    ]
    found = syn.themes(german, languages=["en"] * 4)
    terms = {term for t in found for term in t.terms}
    assert terms and not terms & {"die", "für", "das", "der", "und", "ist", "müssen", "muss"}
    assert terms & {"klimafinanzierung", "zölle", "länder"}


def test_languages_change_the_themes_cache_key_and_must_match_the_texts():
    texts = ["Fund the alliance", "Pay for the alliance", "Tariffs hurt trade", "Trade rules"]
    syn._remembered_themes.cache_clear()
    syn.themes(texts, languages=["en"] * 4)
    syn.themes(texts, languages=["en"] * 4)
    syn.themes(texts, languages=["fr"] * 4)
    assert syn._remembered_themes.cache_info()[:2] == (1, 2)  # hits, misses
    with pytest.raises(ValueError, match="languages"):
        syn.themes(texts, languages=["en"])


def test_synthesize_passes_the_languages_to_the_themes():
    texts, languages, _truth = conversation()
    V = np.ones((3, len(texts)))
    s = syn.synthesize(V, np.zeros(3, dtype=int), 1, texts, languages=languages)
    assert s.themes == syn.themes(texts, languages=languages)
    with pytest.raises(ValueError, match="languages"):
        syn.synthesize(V, np.zeros(3, dtype=int), 1, texts, languages=["en"])


@pytest.mark.django_db
def test_the_session_matrix_carries_each_positions_page_language(published_paper):
    room = make_room(published_paper)
    make_position(room.ada, "Le financement du climat doit venir de dons", language="fr")
    make_position(room.ben, "发达国家提供气候资金", language="zh-hans")
    make_position(room.cleo, "Climate finance as grants")  # posted before languages were kept
    m = matrix.session_matrix(room.session)
    assert m.languages == ["fr", "zh-hans", ""]
    s = syn.synthesize(m.V, m.breakout, m.n_groups, m.texts, languages=m.languages)
    assert [t.terms for t in sorted(s.themes, key=lambda t: t.positions)] == [
        ("climat", "dons", "financement"),
        ("发达国家", "提供", "气候"),  # equal weights: in code point order
        ("climate", "finance", "grants"),
    ]


# --- which language a text is read as --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "given", "read_as"),
    [
        ("تمويل المناخ أولوية", "en", "ar"),
        ("气候资金是优先事项", "fr", "zh"),
        ("应当在WTO解决关税争端", "en", "zh"),  # a Latin acronym in Chinese text
        ("Финансирование климата", "es", "ru"),
        ("Реформа ООН и WTO", "", "ru"),
        ("Reform the 安理会 now", "en", "en"),  # Latin letters are the most
    ],
)
def test_the_script_decides_for_arabic_chinese_and_russian(text, given, read_as):
    assert themes.language_of(text, given) == read_as


@pytest.mark.parametrize(
    ("text", "given", "read_as"),
    [
        ("Taxe carbone", "fr", "fr"),  # no stop word: the author's page language
        ("Taxe carbone", "zh-hans", "en"),  # not a Latin language: the vote, a tie: English
        ("Aranceles", "es-MX", "es"),
        ("Taxe carbone maintenant", "en", "en"),  # one French stop word is not enough
        ("Climate finance now", "fr", "fr"),  # one English stop word neither
    ],
)
def test_a_latin_text_is_read_in_its_authors_page_language(text, given, read_as):
    assert themes.language_of(text, given) == read_as


@pytest.mark.parametrize(
    ("text", "given", "read_as"),
    [
        ("Les pays riches doivent payer pour le climat", "", "fr"),
        ("Los aranceles dañan el comercio de los países pobres", "", "es"),
        ("Rich countries should pay for the climate", "", "en"),
        ("Rich countries should pay for the climate", "ar", "en"),  # not a Latin language
        ("Les pays riches doivent payer pour le climat", "en", "fr"),  # outvoted by 2+
        ("Die Klimafinanzierung muss für die armen Länder steigen", "en", "de"),
        ("Rich countries should pay for all of the climate damage", "es", "en"),
    ],
)
def test_stop_words_outvote_the_page_language_or_decide_without_one(text, given, read_as):
    assert themes.language_of(text, given) == read_as


# --- the words ------------------------------------------------------------------------------


def test_chinese_is_cut_into_words_without_single_characters_or_stop_words():
    words = themes.content_words("我们应当加强气候融资，发达国家必须兑现承诺。", "zh")
    assert words == ["应当", "加强", "气候", "融资", "发达国家", "必须", "兑现", "承诺"]
    assert "我们" in themes.stop_words("zh")


def test_arabic_loses_its_vowel_marks_and_glued_article_prefixes():
    # "and the climate", "for the climate", "the climate" with vowel marks and a tatweel.
    words = themes.content_words("والمناخ للمناخ المَنـاخ في", "ar")
    assert words == ["المناخ", "المناخ", "المناخ"]  # "في" (in) is a stop word


def test_latin_and_cyrillic_words_are_lower_cased_and_elisions_dropped():
    assert themes.content_words("L'adaptation d'abord, et le Financement", "fr") == [
        "adaptation",
        "financement",
    ]
    assert themes.content_words("Реформа Совета Безопасности и ООН", "ru") == [
        "реформа",
        "совета",
        "безопасности",
        "оон",
    ]
