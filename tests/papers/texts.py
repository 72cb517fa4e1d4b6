# ruff: noqa: E501 (the .txt and .md papers are written here as their files read, one line a paragraph)
"""The corpus' papers: their words, their layout and their truth (see make_corpus.py).

A .txt or .md paper's text is its file, verbatim, before the layout options (hard wrapping,
line endings, encoding) are applied. A .pdf or .docx paper's text is a small markup, one
element a line (blank lines are ignored):

    TITLE: ...      the title              SUB: ...   a subtitle, document type, date or venue
    H1: ... / H2: ... a heading            - ...      a bullet item
    3. ...          a numbered list item   NOTE: ...  a footnote or endnote, in small print
    | a | b |       a table row (.docx)    anything else: a paragraph

Inside an element, ^3 is footnote marker 3 (superscript where the format has one, else
glued to the text as extracted text shows it) and " // " is a line break inside the
paragraph (a soft return in Word).

Change a paper here, never in tests/papers/corpus, then run make_corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Paper:
    name: str  # the file's name in the corpus; its stem names its .expected/.parsed.json
    exercises: str  # what this paper is in the corpus for
    text: str
    title: str | None  # truth: None when the paper prints no title
    sections: list[str]  # truth
    questions: list[str]  # truth: the framing questions
    layout: dict = field(default_factory=dict)  # options for the renderer of its format


PAPERS: list[Paper] = []


def paper(**fields) -> None:
    PAPERS.append(Paper(**fields))


# =========================================================================== .txt

paper(
    name="wto-dispute-settlement-roundtable.txt",
    exercises=(
        "title with commas and a colon, subtitle and venue lines glued under it; numbered "
        "headings with 2.1 subsections; a numbered list of questions with no blank lines; "
        "glued footnote numbers and a Notes list"
    ),
    text="""\
Trade, Trust, and the WTO: Restoring Dispute Settlement after the Appellate Body Crisis
Roundtable Discussion Paper
Geneva Trade Policy Forum, 14–15 March 2025

1. Introduction

For a quarter of a century the dispute settlement system of the World Trade Organization (WTO) was described as the jewel in the crown of the multilateral trading system. Members brought more than six hundred disputes, and even the largest economies complied, most of the time, with rulings they disliked.1 Since December 2019, however, the Appellate Body has been unable to hear appeals because the terms of its members expired and no new members were appointed. A panel report can now be appealed "into the void", leaving the dispute unresolved and the losing party free of any obligation to comply.

This paper sets out how the impasse arose, what members have done in the meantime, and which options are realistically on the table before the next Ministerial Conference. It is meant to prompt discussion rather than to recommend a single course.

2. Background

2.1 The Appellate Body Impasse

The objections that led to the blockage were not new. Successive United States administrations argued that the Appellate Body had exceeded its mandate: by filling gaps in the agreements, by treating its own reports as precedent, by ruling on issues not needed to resolve a dispute, and by routinely missing the ninety-day deadline for appeals.2 Other members shared some of these concerns but did not accept that blocking appointments was a proportionate response. Proposals to clarify the rules, including the Walker process of 2019, did not persuade the United States to lift its veto.

2.2 Interim Arrangements

In April 2020 a group of members notified the Multi-Party Interim Appeal Arbitration Arrangement (MPIA), which uses Article 25 of the Dispute Settlement Understanding to provide appeal arbitration among its participants. By 2024 the MPIA covered more than fifty members, including the European Union, China, Japan, Brazil and Canada, and it had delivered its first awards.3 Participation, however, is voluntary, and the arrangement cannot bind members who stay outside it. Meanwhile the number of appeals into the void has grown, and several members have adopted unilateral enforcement instruments that allow countermeasures when a dispute is blocked.

3. Options on the Table

Three broad options have emerged from the informal reform discussions launched in 2022. The first is a restored two-tier system with a reformed appellate stage, stricter time limits and a narrower scope of review. The second is a single-tier system in which panel reports become final, possibly with a stronger panel roster and a limited review mechanism for manifest errors. The third is a plurilateral path in which the MPIA, or something like it, becomes the de facto appellate layer for those members willing to accept it, while others rely on panels alone.

Each option distributes costs differently. A single-tier system would be the easiest to agree but would remove a safeguard that smaller members value. A plurilateral path preserves appeal for its participants but could entrench a two-speed organization. A reformed appellate stage requires the agreement of the member that blocked the old one.

4. Questions for Discussion

1. Is a two-tier system, with binding appeals for some members and panel reports alone for others, preferable to no appeal at all?
2. What minimum reforms would a restored Appellate Body need to address the concerns that led to the blockage?
3. Should the MPIA be expanded and institutionalised, or kept deliberately temporary so as not to weaken the pressure for a full solution?
4. How can members discourage appeals into the void while the reform talks continue?

Notes

1 WTO, Annual Report 2023, Geneva, p. 112.
2 Office of the United States Trade Representative, Report on the Appellate Body of the World Trade Organization, February 2020.
3 The first MPIA award was issued in July 2022 in Colombia – Frozen Fries.
""",
    title="Trade, Trust, and the WTO: Restoring Dispute Settlement after the Appellate Body Crisis",
    sections=[
        "Introduction",
        "Background",
        "The Appellate Body Impasse",
        "Interim Arrangements",
        "Options on the Table",
        "Questions for Discussion",
        "Notes",
    ],
    questions=[
        "Is a two-tier system, with binding appeals for some members and panel reports alone for others, preferable to no appeal at all?",
        "What minimum reforms would a restored Appellate Body need to address the concerns that led to the blockage?",
        "Should the MPIA be expanded and institutionalised, or kept deliberately temporary so as not to weaken the pressure for a full solution?",
        "How can members discourage appeals into the void while the reform talks continue?",
    ],
)

paper(
    name="climate-finance-loss-and-damage.txt",
    exercises=(
        "no title at all; framing questions in the untitled opening; text hard-wrapped "
        "with trailing spaces and double spaces, as extracted from a PDF, so questions break "
        "across lines; a heading with a lower-case word (el-Sheikh); rhetorical questions in "
        "the body"
    ),
    text="""\
The fund for responding to loss and damage agreed at COP27 in Sharm el-Sheikh was hailed as a breakthrough for the countries most exposed to climate change.  Two years on, the fund has a board, a host in the World Bank and a secretariat in the Philippines, but pledges of well under one billion dollars: a small fraction of the losses that vulnerable economies are expected to suffer each year by 2030.1  Who should pay into the fund, and on what basis?  How can money reach affected communities quickly without sacrificing accountability to those who contribute?  Should the fund finance slow-onset losses such as sea-level rise and desertification, or concentrate on sudden disasters?  These are the questions this session will take up.  The paper summarises where the negotiations stand and the main positions, to help participants prepare.

From Sharm el-Sheikh to Baku

The decision to establish the fund came after three decades in which developed countries resisted any language that might imply liability or compensation.2  The compromise reached in Egypt left almost every operational question to a transitional committee, which met five times in 2023 and only agreed its recommendations at an extraordinary final meeting.  At COP28 in Dubai the fund was operationalised on the first day of the conference, an unusual sign of goodwill, and the first pledges were announced within hours.  By COP29 in Baku the board had selected an executive director and agreed the basic rules for accessing resources, while warning that the money pledged would not stretch beyond a start-up phase.

The Question of Contributors

The most contested issue remains the base of contributors.  The decision "invites" developed countries to take the lead and "encourages" others to contribute on a voluntary basis, language that reflects the 1992 division of countries into annexes.  Several developed countries argue that large emitters classified as developing in 1992, including some with high incomes per head, should now contribute.  Developing countries reply that the fund must not dilute historical responsibility, and that new sources such as levies on shipping, aviation or fossil fuel windfall profits would be fairer than a renegotiation of who counts as developed.3  Is it realistic to expect innovative levies to be agreed at the pace the fund needs?  The experience of the solidarity levies on air tickets suggests that they can work, but at modest scale.

Access and Direct Budget Support

Vulnerable countries have asked for direct access to resources, including budget support and grants to local governments, rather than project finance channelled through international intermediaries.  The board has agreed a start-up window, the Barbados Implementation Modalities, to disburse small grants quickly, with simplified procedures for countries recovering from disasters.  Contributors, for their part, want assurances on fiduciary standards and on the risk that the fund duplicates humanitarian appeals and disaster risk insurance.  The challenge is to design procedures that are light enough to be used within weeks of a disaster and robust enough to keep the confidence of taxpayers in contributing countries.

Slow-Onset Events and Non-Economic Losses

Most of the public debate focuses on cyclones and floods, yet much of the loss faced by small island states and dryland countries is gradual: the salinisation of farmland, retreating glaciers, the loss of territory and of cultural heritage.  These losses are difficult to price and rarely covered by insurance.  Some negotiators favour a dedicated window for slow-onset events and for non-economic losses such as displacement and the loss of sacred sites; others fear that an open-ended mandate would exhaust the fund before it has shown results.

Looking Ahead to COP30

COP30 in Belém will review the first disbursements of the fund and the new collective quantified goal for climate finance agreed in Baku.  The credibility of both depends on whether contributions rise substantially in the next replenishment, and on whether affected communities see tangible support rather than another round of pledges.
""",
    title=None,
    sections=[
        "Introduction",
        "From Sharm el-Sheikh to Baku",
        "The Question of Contributors",
        "Access and Direct Budget Support",
        "Slow-Onset Events and Non-Economic Losses",
        "Looking Ahead to COP30",
    ],
    questions=[
        "Who should pay into the fund, and on what basis?",
        "How can money reach affected communities quickly without sacrificing accountability to those who contribute?",
        "Should the fund finance slow-onset losses such as sea-level rise and desertification, or concentrate on sudden disasters?",
    ],
    layout={"wrap": 96, "trailing": " "},
)

paper(
    name="who-pandemic-agreement-concept-note.txt",
    exercises=(
        "UN concept note: CONCEPT NOTE above the title, date and venue lines; ALL-CAPS "
        "headings; hyphen bullets; guiding questions as hyphen bullets wrapped across lines"
    ),
    text="""\
CONCEPT NOTE

High-Level Dialogue on the WHO Pandemic Agreement: From Adoption to Implementation

Side event to the Seventy-Eighth World Health Assembly
Geneva, 21 May 2025, 13:15-14:30, Room XII

BACKGROUND

In May 2025 the World Health Assembly adopted the WHO Pandemic Agreement, the second legally binding instrument negotiated under Article 19 of the WHO Constitution after the Framework Convention on Tobacco Control. The Agreement was the product of more than three years of negotiations launched in the aftermath of COVID-19, during which the inequitable distribution of vaccines, diagnostics and therapeutics undermined both the response and trust between countries. It commits parties to strengthen prevention and One Health approaches, to build surveillance and regulatory capacity, to support geographically diversified production of health products, and to cooperate on research and technology transfer.

Several of the most difficult issues were left for further negotiation. Chief among them is the annex on a Pathogen Access and Benefit-Sharing (PABS) system, which will set the terms on which countries share pathogen samples and genetic sequence data and receive, in return, a share of the vaccines and medicines developed from them. The Agreement will only open for signature once the annex is adopted, and it will enter into force after sixty ratifications. Meanwhile the amended International Health Regulations, adopted in 2024, introduce a "pandemic emergency" alert level and new coordination duties for national authorities.

OBJECTIVES

The dialogue aims:
- to take stock of the commitments in the Agreement and the amended International Health Regulations, and of the work remaining on the PABS annex;
- to identify the financing, legal and institutional steps countries need to take to implement the Agreement at national level;
- to share early lessons from regional manufacturing and regulatory initiatives in Africa, Latin America and South-East Asia;
- to build momentum for signature and ratification.

FORMAT AND PARTICIPATION

The dialogue will be held in person with interpretation in the six official languages of the United Nations and webcast live. After opening remarks by the co-hosts, a moderated panel of ministers, regulators and representatives of manufacturers and civil society will discuss the guiding questions below, followed by an open exchange with delegations. Participation is open to all Member States, observers, UN agencies and accredited non-State actors.

GUIDING QUESTIONS

- What must the PABS annex contain for countries to share pathogen samples and sequence data rapidly, confident that they will receive a fair share of the resulting products?
- How should the Coordinating Financial Mechanism be resourced so that implementation does not depend on the next emergency?
- Which national laws and institutions will most countries need to change to ratify the Agreement, and what support would help them do so?
- How can regional manufacturing hubs remain viable between pandemics, when demand for their products falls?

EXPECTED OUTCOMES

A summary of the discussion will be prepared by the co-hosts and shared with delegations ahead of the first meeting of the Intergovernmental Working Group on the PABS annex.
""",
    title="High-Level Dialogue on the WHO Pandemic Agreement: From Adoption to Implementation",
    sections=[
        "BACKGROUND",
        "OBJECTIVES",
        "FORMAT AND PARTICIPATION",
        "GUIDING QUESTIONS",
        "EXPECTED OUTCOMES",
    ],
    questions=[
        "What must the PABS annex contain for countries to share pathogen samples and sequence data rapidly, confident that they will receive a fair share of the resulting products?",
        "How should the Coordinating Financial Mechanism be resourced so that implementation does not depend on the next emergency?",
        "Which national laws and institutions will most countries need to change to ratify the Agreement, and what support would help them do so?",
        "How can regional manufacturing hubs remain viable between pandemics, when demand for their products falls?",
    ],
    layout={"wrap": 78},
)

paper(
    name="global-compact-migration-working-paper.txt",
    exercises=(
        "roman-numeral headings; framing questions inside a titled Introduction; a "
        "rhetorical question in the body; working-paper and date lines under the title; "
        "Windows-1252 encoding with curly quotes; hard-wrapped at 80"
    ),
    text="""\
Safe, Orderly and Regular: Taking Stock of the Global Compact for Migration

Working Paper No. 7
Migration Policy Dialogue, April 2025

I. Introduction

When 152 states endorsed the Global Compact for Safe, Orderly and Regular Migration in December 2018, supporters called it the first comprehensive framework for cooperation on international migration, and critics warned that it would erode national control of borders. Neither prediction has come true. The Compact is not legally binding, and its 23 objectives have been implemented unevenly, but it has given governments, cities and civil society a common vocabulary and a regular cycle of review. This working paper asks three questions that will frame our discussion. Has the Compact changed how states cooperate on migration, or merely how they describe their cooperation? Which of its objectives have proved most useful to countries of origin, transit and destination? And what should the second International Migration Review Forum, due in 2026, ask of states?

II. Context

Migration has risen up the political agenda since 2018. The COVID-19 pandemic closed borders and stranded millions of migrant workers, while revealing how much health systems and food supply chains depend on them. Displacement linked to conflict, in Ukraine, Sudan and the Sahel, and to disasters has reached record levels. At the same time labour shortages in ageing economies have led many governments to expand legal pathways quietly, even as public debate focuses on irregular arrivals. The Compact’s “360-degree” approach, covering the whole cycle from departure to return and reintegration, was designed for precisely this mix of pressures.

III. Progress Since Marrakesh

The first International Migration Review Forum in 2022 adopted a progress declaration that recorded several achievements. More than 80 countries have submitted voluntary national reviews. A United Nations Network on Migration now coordinates the work of agencies, and a start-up fund has financed joint programmes on labour migration governance, data and the cost of remittances, which fell in several corridors towards the target of three per cent. Regional reviews in Africa, Asia and Latin America have given space to local governments, trade unions and diaspora organisations.

IV. Persistent Gaps

Progress has been weakest where cooperation is most politically sensitive. Search and rescue, deaths on migration routes, immigration detention and return remain areas of disagreement, and several states that endorsed the Compact have since adopted policies that sit uneasily with its objectives. Data on migrants in irregular situations remain poor. Why have the objectives on safe routes and missing migrants advanced so little? Part of the answer lies in the division of labour the Compact itself creates, with no single agency responsible for monitoring deaths, and part in the absence of any peer review of national practices.

V. Regional Perspectives

Regional economic communities have often moved faster than the global framework. The free movement protocols of the Economic Community of West African States and of the Intergovernmental Authority on Development, the regional consultative processes in Asia and the Los Angeles Declaration in the Americas show that cooperation is easiest when it is tied to concrete economic interests and to neighbours’ shared concerns. The Compact can support these efforts by making data, funding and expertise available, rather than by prescribing a single model.

VI. Conclusion

Six years on, the Compact is neither the threat its opponents feared nor the transformation its advocates hoped for. Its value lies in the habits of cooperation it encourages. The 2026 Forum will test whether states are willing to turn those habits into commitments that can be measured.
""",
    title="Safe, Orderly and Regular: Taking Stock of the Global Compact for Migration",
    sections=[
        "Introduction",
        "Context",
        "Progress Since Marrakesh",
        "Persistent Gaps",
        "Regional Perspectives",
        "Conclusion",
    ],
    questions=[
        "Has the Compact changed how states cooperate on migration, or merely how they describe their cooperation?",
        "Which of its objectives have proved most useful to countries of origin, transit and destination?",
        "And what should the second International Migration Review Forum, due in 2026, ask of states?",
    ],
    layout={"wrap": 80, "encoding": "cp1252"},
)

paper(
    name="g20-common-framework-debt-brief.txt",
    exercises=(
        "a title that is a question (not a framing question); a Title Case subtitle line "
        "with commas; Key Messages as bullet points; a Questions for the Roundtable bullet "
        "list where one item has a sentence of context before its question"
    ),
    text="""\
Can the G20 Common Framework Deliver Faster Debt Relief?

Policy Brief, Finance Track Roundtable, G20 Presidency 2025

Key Messages

• Debt restructurings under the Common Framework have taken two to three years, far longer than the crises they were meant to resolve.
• Delays stem from coordination among official creditors, the absence of comparability rules that private creditors accept, and weak incentives for early action.
• A standstill on debt service during negotiations, and clear timelines for creditor committees, could halve the time to agreement.

Background

In November 2020 the G20 and the Paris Club agreed the Common Framework for Debt Treatments beyond the Debt Service Suspension Initiative. For the first time, official bilateral creditors outside the Paris Club, China foremost among them, committed to negotiate debt treatments jointly with traditional creditors on a case-by-case basis. Only four countries applied: Chad, Ethiopia, Ghana and Zambia. Chad's treatment concluded with no immediate reduction in its debt stock after oil prices rose; Zambia, which defaulted in 2020, reached agreement with its official creditors in 2023 and with bondholders in 2024.

What Slowed the Process

Three obstacles stand out. First, creditors disagreed on the treatment of multilateral development banks, which do not restructure their own claims, and on whether their new lending should count as a contribution to relief. Second, the principle of comparability of treatment, which requires private creditors to offer terms at least as favourable as official ones, proved difficult to apply when creditors valued bonds, loans and guarantees in different ways. Third, the Framework gave debtors no protection while talks continued, so arrears, litigation risk and lost market access accumulated month after month.

Reforms Under Discussion

The Global Sovereign Debt Roundtable, convened by the IMF, the World Bank and the G20 Presidency, has produced a common understanding on several procedural points: earlier sharing of debt sustainability analyses, timelines for creditor committees, and the use of cut-off dates. Some members propose going further with an automatic debt service standstill once a country requests a treatment, a "comparability calculator" published by the IMF, and climate-resilient debt clauses that suspend payments after a disaster. Others warn that a standstill could raise borrowing costs for all low-income countries.

Questions for the Roundtable

• Should a debt service standstill apply automatically once a country requests a Common Framework treatment?
• Creditors value bonds, loans and guarantees in different ways. How should comparability of treatment be measured so that official and private creditors accept the result?
• What would persuade middle-income countries with unsustainable debts, which are not eligible today, to seek a coordinated treatment?
• Is there a role for a permanent secretariat, and who should host it?
""",
    title="Can the G20 Common Framework Deliver Faster Debt Relief?",
    sections=[
        "Key Messages",
        "Background",
        "What Slowed the Process",
        "Reforms Under Discussion",
        "Questions for the Roundtable",
    ],
    questions=[
        "Should a debt service standstill apply automatically once a country requests a Common Framework treatment?",
        "How should comparability of treatment be measured so that official and private creditors accept the result?",
        "What would persuade middle-income countries with unsustainable debts, which are not eligible today, to seek a coordinated treatment?",
        "Is there a role for a permanent secretariat, and who should host it?",
    ],
)

paper(
    name="un-high-seas-treaty-briefing.txt",
    exercises=(
        "no questions at all; sentence-case headings (the UK and UN house style); a "
        "sentence-case subtitle; Windows line endings (CRLF)"
    ),
    text="""\
The UN High Seas Treaty: Ratification, Institutions and Early Implementation

Briefing note for the Ocean Governance Roundtable

Why the agreement matters

The high seas, the ocean beyond any state's exclusive economic zone, cover almost half of the planet's surface and host a large share of its biodiversity. Yet until recently no global framework allowed states to create protected areas there or to assess the cumulative impact of activities such as shipping, fishing and deep-sea mining. The Agreement under the United Nations Convention on the Law of the Sea on the Conservation and Sustainable Use of Marine Biological Diversity of Areas beyond National Jurisdiction, known as BBNJ or the High Seas Treaty, was adopted in June 2023 after nearly two decades of talks. It enters into force 120 days after the sixtieth ratification.

Marine protected areas on the high seas

Part III of the Agreement allows the Conference of the Parties to establish area-based management tools, including marine protected areas, on the basis of proposals submitted by parties and assessed by a Scientific and Technical Body. Decisions are normally taken by consensus, but a vote by a three-quarters majority is possible when consensus cannot be reached, a significant innovation in ocean governance. Scientists have already identified candidate sites such as the Salas y Gómez and Nazca ridges in the south-east Pacific and the Thermal Dome in the eastern tropical Pacific. The relationship with existing bodies, including regional fisheries management organisations and the International Seabed Authority, will determine whether the new protected areas restrict the activities that threaten them most.

Benefit-sharing and capacity building

The most difficult negotiations concerned marine genetic resources collected on the high seas and the digital sequence information derived from them. The Agreement creates a clearing-house mechanism, requires notification of collection and use, and establishes monetary benefit-sharing through a special fund once products are commercialised, with annual contributions from developed parties in the meantime. Capacity building and the transfer of marine technology are treated as obligations rather than aspirations, reflecting the insistence of developing countries that they must be able to take part in high seas science, not only receive a share of its results.

Environmental impact assessments

Parties must assess planned activities under their jurisdiction or control that may cause more than a minor or transitory effect on the marine environment of areas beyond national jurisdiction. The screening, scoping and public consultation steps are modelled on good national practice, but the final decision on whether an activity proceeds remains with the party concerned, which disappointed those who wanted an international veto.

The road to the first Conference of the Parties

The first Conference of the Parties must be held within one year of entry into force. A preparatory commission has met to draft its rules of procedure, its financial rules and the arrangements for the secretariat, which Belgium and Chile have offered to host. Early decisions on funding, on the composition of the scientific body and on the first proposals for protected areas will signal whether the treaty can deliver on its promise.
""",
    title="The UN High Seas Treaty: Ratification, Institutions and Early Implementation",
    sections=[
        "Why the agreement matters",
        "Marine protected areas on the high seas",
        "Benefit-sharing and capacity building",
        "Environmental impact assessments",
        "The road to the first Conference of the Parties",
    ],
    questions=[],
    layout={"newline": "\r\n"},
)

# =========================================================================== .md

paper(
    name="digital-public-infrastructure-g20.md",
    exercises=(
        "# title, an italic subtitle line, ## and ### headings, a numbered list of "
        "questions under ## Questions for discussion, [^1] footnotes and their definitions"
    ),
    text="""\
# Digital Public Infrastructure and the G20: Interoperability, Inclusion, and Trust

*Roundtable Discussion Paper — Digital Economy Working Group side event*

## Introduction

Since India's G20 Presidency placed it at the centre of the 2023 New Delhi Leaders' Declaration, digital public infrastructure (DPI) has become one of the most frequently used and least precisely defined terms in development policy. Governments, foundations and multilateral banks now fund DPI programmes on every continent, from digital identity in Ethiopia to instant payments in Brazil.[^1] This paper outlines what DPI usually covers, the risks it raises and the choices facing donors and governments, as background for the roundtable.

## What Counts as DPI

In the G20 framework, DPI refers to shared digital systems that are secure and interoperable, built on open standards and specifications, and that deliver equitable access to public and private services at societal scale. The definition is deliberately broad: it describes a way of building systems as much as the systems themselves.

### Identity, Payments and Data Exchange

Three building blocks recur in almost every national strategy. Foundational digital identity allows people to prove who they are online; fast, low-cost payment systems allow governments to pay benefits and citizens to pay each other; and consent-based data exchange lets people share records, such as health or tax data, between institutions. India's Aadhaar, UPI and DigiLocker, Brazil's Pix and Estonia's X-Road are the examples most often cited.[^2]

### Open Standards and Open Source

Advocates argue that open standards prevent lock-in to a single vendor and allow private firms to build services on top of public rails. Open-source components, such as the MOSIP identity platform, can lower costs for smaller countries. Critics point out that open code does not guarantee good governance, and that maintaining shared software requires sustained funding that donors are rarely willing to provide.

## Risks and Safeguards

Digital systems at population scale concentrate risk. Exclusion errors, in which people without documents or connectivity lose access to rations or pensions, have been documented in several countries. Centralised databases are attractive targets for breaches and can enable surveillance if legal safeguards are weak. The UN Development Programme and the Office of the Secretary-General's Envoy on Technology have published a universal safeguards framework, but its adoption is voluntary.

## Financing and Governance

The World Bank, regional development banks and philanthropies have pledged several hundred million dollars for DPI, including through the 50-in-5 campaign, which aims to help fifty countries design and launch at least one component within five years. How these programmes are governed, and who owns and operates the resulting systems, varies widely.

## Questions for discussion

1. Which safeguards should be a condition of external financing for DPI, and who should verify that they are in place?
2. How can countries avoid trading dependence on proprietary vendors for dependence on a few open-source platforms and their funders?
3. What role should the G20 play now that DPI is on the agenda of the UN's Global Digital Compact?
4. How should the success of a DPI programme be measured beyond the number of people enrolled?

[^1]: G20 New Delhi Leaders' Declaration, September 2023, paragraph 55.
[^2]: See the country case studies in the Global DPI Repository.
""",
    title="Digital Public Infrastructure and the G20: Interoperability, Inclusion, and Trust",
    sections=[
        "Introduction",
        "What Counts as DPI",
        "Identity, Payments and Data Exchange",
        "Open Standards and Open Source",
        "Risks and Safeguards",
        "Financing and Governance",
        "Questions for discussion",
    ],
    questions=[
        "Which safeguards should be a condition of external financing for DPI, and who should verify that they are in place?",
        "How can countries avoid trading dependence on proprietary vendors for dependence on a few open-source platforms and their funders?",
        "What role should the G20 play now that DPI is on the agenda of the UN's Global Digital Compact?",
        "How should the success of a DPI programme be measured beyond the number of people enrolled?",
    ],
)

paper(
    name="un-ai-governance-after-the-compact.md",
    exercises=(
        "setext headings (=== title, --- sections); framing questions as a bullet list in "
        "the untitled opening; named footnotes ([^hlab])"
    ),
    text="""\
Governing AI for Humanity: The UN's Role after the Global Digital Compact
========================================================================

The adoption of the Global Digital Compact at the Summit of the Future in September 2024 gave the United Nations its first universal mandate on artificial intelligence. Member States agreed to establish an Independent International Scientific Panel on AI and a Global Dialogue on AI Governance, building on the recommendations of the Secretary-General's High-Level Advisory Body.[^hlab] The mandate is modest compared with the ambitions voiced during the negotiations, and it arrives in a crowded field. This session asks:

- What can a universal body do on AI that the OECD, the G7 Hiroshima Process and the network of AI safety institutes cannot?
- How should the Scientific Panel be composed and funded so that its assessments are trusted by governments with very different views of AI risk?
- Which governance gaps, if any, justify binding rules at the global level?

The Landscape of AI Governance
------------------------------

AI governance today is a patchwork. The European Union's AI Act establishes binding obligations according to risk; the United States relies largely on executive action and voluntary commitments; China has adopted rules on recommendation algorithms, deep synthesis and generative AI. Internationally, the Council of Europe's Framework Convention is the first binding treaty on AI and human rights, while the OECD AI Principles and the UNESCO Recommendation on the Ethics of AI provide non-binding reference points. The summits launched at Bletchley Park in 2023 created a further track focused on the most capable models.

The Scientific Panel and the Global Dialogue
--------------------------------------------

The Compact asks the Scientific Panel to issue evidence-based assessments of the opportunities, risks and impacts of AI, drawing on existing work. Supporters see a parallel with the Intergovernmental Panel on Climate Change, whose assessments gave climate negotiations a shared factual basis. Sceptics note that AI evolves faster than any assessment cycle and that much of the relevant evidence is held by private companies. The Global Dialogue, to be held alongside existing UN conferences, is intended to share best practices and promote interoperability between governance approaches rather than negotiate new rules.

Capacity Building and the Compute Divide
----------------------------------------

For many developing countries the most pressing issue is not the risk of advanced AI but access to it. Computing power, data and skills are concentrated in a handful of countries and companies.[^compute] Proposals under discussion include a global fund for AI capacity, shared computing resources for researchers, and support for datasets in under-represented languages.

What Success Would Look Like
----------------------------

By the end of the decade, a successful UN role might be measured by a trusted scientific assessment cited in national debates, a dialogue in which all regions take part meaningfully, and a measurable narrowing of the capacity gap. None of this requires a new agency, but all of it requires sustained funding.

[^hlab]: High-Level Advisory Body on Artificial Intelligence, *Governing AI for Humanity: Final Report*, September 2024.
[^compute]: UNCTAD, *Technology and Innovation Report 2025*.
""",
    title="Governing AI for Humanity: The UN's Role after the Global Digital Compact",
    sections=[
        "Introduction",
        "The Landscape of AI Governance",
        "The Scientific Panel and the Global Dialogue",
        "Capacity Building and the Compute Divide",
        "What Success Would Look Like",
    ],
    questions=[
        "What can a universal body do on AI that the OECD, the G7 Hiroshima Process and the network of AI safety institutes cannot?",
        "How should the Scientific Panel be composed and funded so that its assessments are trusted by governments with very different views of AI risk?",
        "Which governance gaps, if any, justify binding rules at the global level?",
    ],
)

paper(
    name="un-peacekeeping-mandates.md",
    exercises=(
        "a bold first line as the title (no # heading); an italic subtitle; numbered "
        "level-1 # headings; framing questions inside # 1. Introduction, one broken across "
        "lines, one followed by a [^1] footnote"
    ),
    text="""\
**Robust, Realistic, or Retreating: UN Peacekeeping Mandates in an Era of Fragmentation**

*Discussion paper for the Peace Operations Roundtable, New York*

# 1. Introduction

UN peacekeeping is at a low point. Since 2023, the missions in Mali and the Democratic Republic of the Congo have closed or begun to draw down at the request of host governments, budgets have been cut, and no new multidimensional mission has been authorised for a decade. At the same time, the Security Council remains divided on almost every crisis where a new operation might be considered. This roundtable asks whether peacekeeping can be redesigned for a more fragmented world. What kinds of mandate can still attract consensus in the Council and the consent of host states? How should missions protect civilians when host governments restrict their movement?[^1] And should the UN invest in smaller, more
specialised operations, or preserve the capacity to deploy large missions when the politics
allow it?

# 2. How Mandates Grew

The "Christmas tree" mandates of the 2010s accumulated tasks: protection of civilians, support to elections, security sector reform, human rights monitoring, the extension of state authority and more. Each task reflected a real need and a constituency in the Council, but together they created expectations that missions could not meet with the troops and funding available. The 2015 report of the High-Level Independent Panel on Peace Operations called for sequenced and prioritised mandates, and the Action for Peacekeeping initiative of 2018 made the same case.[^2]

# 3. The Consent Problem

Peacekeeping rests on the consent of the host state, and that consent has proved fragile. Host governments have expelled mission leaders, restricted flights and demanded rapid withdrawals. Missions that depend on a government for access find it hard to report on that government's abuses, and missions that are seen as ineffective lose the support of the population they are meant to protect. The withdrawal from Mali in 2023, completed within six months, showed how quickly years of investment can be lost.

# 4. Options for the New Agenda for Peace

The Secretary-General's New Agenda for Peace encourages the Council to consider the full range of peace operations, including smaller missions focused on political processes, regional operations financed in part from UN assessed contributions, and specialised deployments for tasks such as ceasefire monitoring. Resolution 2719, adopted in December 2023, opened the door to assessed funding for operations led by the African Union, though the first case has yet to be agreed. The Pact for the Future asked for a review of all forms of peace operations.

# 5. Next Steps

Participants are invited to consider how the review can produce concrete recommendations that the Council, host states and the countries contributing troops and police will act on.

[^1]: See the 2024 independent study on the protection of civilians in peacekeeping.
[^2]: Report of the High-Level Independent Panel on Peace Operations, A/70/95-S/2015/446.
""",
    title="Robust, Realistic, or Retreating: UN Peacekeeping Mandates in an Era of Fragmentation",
    sections=[
        "Introduction",
        "How Mandates Grew",
        "The Consent Problem",
        "Options for the New Agenda for Peace",
        "Next Steps",
    ],
    questions=[
        "What kinds of mandate can still attract consensus in the Council and the consent of host states?",
        "How should missions protect civilians when host governments restrict their movement?",
        "And should the UN invest in smaller, more specialised operations, or preserve the capacity to deploy large missions when the politics allow it?",
    ],
)

paper(
    name="sahel-food-security-background.md",
    exercises=(
        "YAML front matter holding the title (as Pandoc papers have it); ## headings; "
        "guiding questions as * bullets whose items wrap onto indented lines"
    ),
    text="""\
---
title: "Food Security in the Sahel: Conflict, Climate and the Cost of Inaction"
subtitle: "Background paper for the Regional Food Crisis Roundtable"
date: 2025-06-10
---

## Overview

More than fifty million people in West Africa and the Sahel face crisis levels of food insecurity during the lean season, according to the Cadre Harmonisé analysis endorsed by governments in the region. The number has more than doubled in five years. Conflict in central Mali, northern Burkina Faso and western Niger has displaced millions, cut farmers off from their fields and closed markets, while erratic rainfall and high prices for fertiliser and imported cereals have squeezed households that were already poor. This paper reviews the drivers of the crisis and the state of the response, as background for the roundtable.

## Drivers of the Crisis

Three drivers reinforce each other. Armed groups blockade towns, levy taxes on herders and traders and destroy granaries, turning food into an instrument of war. Climate variability shortens growing seasons and intensifies competition between farmers and pastoralists over water and grazing land. And macroeconomic shocks, from the devaluation of local currencies to the sanctions imposed after the coups of 2021 to 2023, have raised the cost of food imports and reduced the fiscal space of governments.

## The Humanitarian Response

Humanitarian appeals for the region are chronically underfunded, often receiving less than forty per cent of the amount requested. Access is the other constraint: in besieged areas aid arrives by helicopter or not at all, and agencies must negotiate with authorities and armed groups whose demands change frequently. Several governments have restricted the work of international organisations, and some have asked missions and agencies to leave.

## Resilience and Social Protection

Programmes that build resilience before a crisis, including cash transfers linked to early warning, school feeding and the restoration of degraded land, have a strong evidence base. The Great Green Wall initiative and the national adaptive social protection systems supported by the World Bank show that households receiving regular transfers sell fewer assets and recover faster from drought. Yet these programmes receive a small share of the funding that goes to emergency relief, and they depend on state institutions that are weakest where needs are greatest.

## Guiding questions

* How can humanitarian agencies maintain access to people in need in areas
  controlled by armed groups without legitimising those groups?
* What would it take for governments and donors to shift funding from
  emergency food aid to resilience and social protection before crises peak?
* Should regional grain reserves play a larger role, and how should they be
  governed and financed?
""",
    title="Food Security in the Sahel: Conflict, Climate and the Cost of Inaction",
    sections=[
        "Overview",
        "Drivers of the Crisis",
        "The Humanitarian Response",
        "Resilience and Social Protection",
        "Guiding questions",
    ],
    questions=[
        "How can humanitarian agencies maintain access to people in need in areas controlled by armed groups without legitimising those groups?",
        "What would it take for governments and donors to shift funding from emergency food aid to resilience and social protection before crises peak?",
        "Should regional grain reserves play a larger role, and how should they be governed and financed?",
    ],
)

paper(
    name="cyber-norms-accountability.md",
    exercises=(
        "a ## heading used as the subtitle (Roundtable Discussion Paper); ### sections; "
        "framing questions in a titled Introduction, followed by [^2] footnote markers"
    ),
    text="""\
# Responsible State Behaviour in Cyberspace: From UN Norms to Accountability

## Roundtable Discussion Paper

### Introduction

Two decades of negotiations at the United Nations have produced a framework of responsible state behaviour in cyberspace: international law applies online, eleven voluntary norms describe what states should and should not do, and confidence-building measures aim to reduce the risk of escalation.[^1] Yet ransomware attacks on hospitals, intrusions into critical infrastructure and the use of commercial spyware against journalists continue. What difference have the norms made to the conduct of states? Can accountability be strengthened without a binding treaty?[^2] Which actors, beyond governments, should have a role in attributing and responding to malicious activity?

### The Framework in Brief

The framework was built in successive Groups of Governmental Experts and, since 2019, in an Open-Ended Working Group open to all Member States. Its reports, endorsed by consensus in the General Assembly, affirm that the UN Charter applies in cyberspace and set out norms such as not attacking critical infrastructure, not targeting computer emergency response teams, and responding to requests for assistance from states whose infrastructure is under attack. The norms are voluntary and do not define what counts as a violation.

### Implementation Gaps

Many states lack the technical and legal capacity to implement the norms, and reporting on implementation is sparse. Public attribution of cyber operations to states has become more common, often coordinated among allies, but attribution rarely leads to consequences that change behaviour. Disagreement persists on how international humanitarian law applies to cyber operations in armed conflict and on the status of sovereignty as a rule in its own right.

### The Programme of Action

Member States have agreed to establish a permanent mechanism to follow the Open-Ended Working Group, combining dialogue with practical support for implementation. Its advocates hope that a standing body with thematic groups and a capacity-building fund will move the discussion from principles to practice. Sceptics fear it will reproduce the divisions of its predecessors.

### The Role of Industry and Civil Society

Technology companies operate much of the infrastructure that the norms aim to protect, and they often detect attacks first. Civil society researchers have exposed the misuse of spyware in several countries. Yet non-governmental actors have only a consultative role in UN processes, and their participation has repeatedly been contested.

[^1]: Reports of the Group of Governmental Experts, A/70/174 (2015) and A/76/135 (2021).
[^2]: Several states and scholars have proposed a convention; most Western states oppose one.
""",
    title="Responsible State Behaviour in Cyberspace: From UN Norms to Accountability",
    sections=[
        "Introduction",
        "The Framework in Brief",
        "Implementation Gaps",
        "The Programme of Action",
        "The Role of Industry and Civil Society",
    ],
    questions=[
        "What difference have the norms made to the conduct of states?",
        "Can accountability be strengthened without a binding treaty?",
        "Which actors, beyond governments, should have a role in attributing and responding to malicious activity?",
    ],
)

paper(
    name="critical-minerals-g7-working-paper.md",
    exercises=(
        "a plain first line as the title, no # heading; an italic line glued under it; "
        "## headings; 1) numbered guiding questions, one with a sentence of context; "
        "paragraphs hard-wrapped at 80"
    ),
    text="""\
Critical Minerals, Clean Energy, and the G7: Securing Supply Without Repeating Old Mistakes
*Working Paper No. 14, Energy Transitions Programme, June 2025*

## Summary

The energy transition is mineral-intensive. An electric car uses around six times the minerals of a conventional one, and an onshore wind plant nine times more than a gas-fired plant of the same capacity. Demand for lithium, cobalt, nickel, graphite, copper and rare earth elements is expected to rise several-fold by 2040, while processing capacity is concentrated in very few countries. G7 governments have responded with strategies, partnerships and subsidies. This paper reviews their approach and asks whether it is likely to deliver secure and responsible supply.

## Demand and Concentration

Mining is more geographically diverse than processing. The Democratic Republic of the Congo produces about seventy per cent of the world's cobalt and Indonesia more than half of its nickel, but China refines most of the world's lithium, cobalt and rare earths, and produces almost all of its battery-grade graphite. Export restrictions on gallium, germanium and graphite since 2023 have shown how concentration can be used as leverage.

## Policy Responses

The United States Inflation Reduction Act tied tax credits for electric vehicles to the origin of battery minerals, and the European Critical Raw Materials Act sets targets for domestic extraction, processing and recycling by 2030. The G7's five-point plan for critical minerals security and the Minerals Security Partnership aim to finance projects in third countries that meet high environmental, social and governance standards. Stockpiles and price floors are under discussion but have not yet been agreed.

## Producer Country Perspectives

Producing countries increasingly want more than extraction. Indonesia's ban on the export of unprocessed nickel ore, Zimbabwe's restrictions on raw lithium exports and the battery council of the Democratic Republic of the Congo reflect a determination to capture more value at home. Many producers view the partnerships offered by consumer countries with suspicion, recalling earlier commodity booms that left environmental damage and little industrial development behind.

## Guiding Questions

1) Should the G7 coordinate stockpiles and price floors for critical minerals, and if so, who should bear the cost?
2) What would a fair partnership with producing countries include beyond finance for mines?
3) Recycling could meet a growing share of demand after 2035. How can recovery targets and product design rules make that happen sooner?
4) How should the G7 respond to export restrictions without escalating a cycle of countermeasures?
""",
    title="Critical Minerals, Clean Energy, and the G7: Securing Supply Without Repeating Old Mistakes",
    sections=[
        "Summary",
        "Demand and Concentration",
        "Policy Responses",
        "Producer Country Perspectives",
        "Guiding Questions",
    ],
    questions=[
        "Should the G7 coordinate stockpiles and price floors for critical minerals, and if so, who should bear the cost?",
        "What would a fair partnership with producing countries include beyond finance for mines?",
        "How can recovery targets and product design rules make that happen sooner?",
        "How should the G7 respond to export restrictions without escalating a cycle of countermeasures?",
    ],
    layout={"wrap": 80, "break_on_hyphens": False},
)

# =========================================================================== .pdf

paper(
    name="npt-review-conference-2026.pdf",
    exercises=(
        "a multi-page PDF with a running header and 'Page n of N' footer on every page; "
        "title and subtitle lines; numbered headings with 2.1 subsections; questions as "
        "bullets under 5. Questions for Discussion"
    ),
    text="""\
TITLE: Holding the Line: The NPT, Disarmament Diplomacy, and the 2026 Review Conference
SUB: Roundtable Discussion Paper
SUB: Vienna Non-Proliferation Dialogue, February 2026
H1: 1. Introduction
The Treaty on the Non-Proliferation of Nuclear Weapons (NPT) has been the cornerstone of the nuclear order since it entered into force in 1970. With 191 states parties, it is the most widely adhered-to arms control agreement in history. Its bargain is simple to state and hard to keep: states without nuclear weapons forgo them, the five recognised nuclear-weapon states commit to pursue disarmament in good faith, and all parties enjoy access to the peaceful uses of nuclear energy. Every five years a Review Conference assesses how that bargain is being kept. The last two conferences, in 2015 and 2022, ended without an agreed final document.
The eleventh Review Conference, to be held in New York in 2026, meets in the most difficult security environment since the end of the Cold War. This paper summarises the main issues before it and the lessons of recent failures, and proposes questions for our discussion.
H1: 2. The State of the Treaty
H2: 2.1 Nuclear Arsenals and Modernisation
After decades of reductions, the global stockpile of nuclear warheads has stopped shrinking. All nuclear-armed states are modernising their arsenals, and China is expanding its own rapidly, with estimates suggesting it could field around a thousand warheads by 2030. The New START Treaty, the last agreement limiting the strategic forces of the United States and Russia, expires in February 2026 with no successor in sight, and Russia suspended its participation in the inspections under the treaty in 2023. Russian statements about the possible use of nuclear weapons in the war against Ukraine, and the deployment of Russian weapons in Belarus, have raised concern among non-nuclear-weapon states that the taboo against use is weakening.
H2: 2.2 Non-Proliferation Pressures
The non-proliferation side of the bargain faces its own strains. The stock of uranium enriched by Iran to sixty per cent grew sharply after the United States withdrew from the Joint Comprehensive Plan of Action in 2018, and inspectors of the International Atomic Energy Agency (IAEA) lost continuity of knowledge about parts of the programme. North Korea, which announced its withdrawal from the treaty in 2003, continues to test missiles and expand its arsenal. In several allied states, public debate about acquiring nuclear weapons, once taboo, has become more open, and the AUKUS partnership has raised questions about the safeguarding of naval nuclear fuel.
H2: 2.3 Peaceful Uses and the IAEA
For many states parties the third pillar, peaceful uses, is the most tangible benefit of the treaty. The technical cooperation programme of the IAEA supports cancer treatment, food safety and water management in more than 140 countries. Interest in nuclear power, including small modular reactors, is growing as governments seek low-carbon electricity, which will increase the demand for safeguards, safety and security support. Attacks on and around the Zaporizhzhia nuclear power plant have shown the risks that armed conflict poses to civilian nuclear facilities.
H1: 3. Lessons from 2015 and 2022
The 2015 conference failed over a proposal for a conference on a zone free of weapons of mass destruction in the Middle East; the 2022 conference failed when Russia objected to language on the Zaporizhzhia plant in the final days. In both cases a broad consensus on most of the text was lost over a single issue. Some diplomats conclude that the expectation of a comprehensive consensus document is itself part of the problem, and that conferences should aim for shorter outcome documents, separate decisions on specific issues, or a summary by the President that records areas of convergence without requiring the agreement of every party.
A second lesson concerns the Treaty on the Prohibition of Nuclear Weapons, which entered into force in 2021. Its supporters see it as a way to implement the disarmament commitment of Article VI; the nuclear-weapon states and their allies reject it. Managing this division constructively, rather than allowing it to dominate the review cycle, will be essential.
H1: 4. Possible Outcomes for 2026
Three broad outcomes are conceivable. A consensus final document, reaffirming past commitments and adding a limited set of new measures such as transparency reporting and risk reduction, would be a significant achievement in the current environment. A partial outcome, with agreed decisions on procedural matters or on peaceful uses but no comprehensive document, would preserve the process while acknowledging divisions. A third failure would not end the treaty but would deepen doubts about its relevance, especially among non-nuclear-weapon states that believe the disarmament commitment has been abandoned.
The working group on further strengthening the review process, established in 2022, has discussed options to make the cycle more effective, including more frequent meetings, a small standing support unit and better national reporting. Its recommendations could be adopted even if substantive disagreement persists.
H1: 5. Questions for Discussion
- What realistic outcome should states aim for in 2026, and is a consensus final document still the right measure of success?
- How can nuclear-weapon states demonstrate progress on disarmament while arms control agreements are expiring?
- What steps could reduce the risk of nuclear use in current conflicts, and could the Review Conference endorse them?
- How should the review process itself be reformed so that a single issue cannot block agreement on everything else?
""",
    title="Holding the Line: The NPT, Disarmament Diplomacy, and the 2026 Review Conference",
    sections=[
        "Introduction",
        "The State of the Treaty",
        "Nuclear Arsenals and Modernisation",
        "Non-Proliferation Pressures",
        "Peaceful Uses and the IAEA",
        "Lessons from 2015 and 2022",
        "Possible Outcomes for 2026",
        "Questions for Discussion",
    ],
    questions=[
        "What realistic outcome should states aim for in 2026, and is a consensus final document still the right measure of success?",
        "How can nuclear-weapon states demonstrate progress on disarmament while arms control agreements are expiring?",
        "What steps could reduce the risk of nuclear use in current conflicts, and could the Review Conference endorse them?",
        "How should the review process itself be reformed so that a single issue cannot block agreement on everything else?",
    ],
    layout={
        "header": "Vienna Non-Proliferation Dialogue  |  Discussion Paper",
        "footer": "Page {page} of {nb}",
    },
)

paper(
    name="global-health-financing-two-column.pdf",
    exercises=(
        "a two-column PDF under a full-width title; framing questions in the untitled "
        "opening; a centred page-number footer"
    ),
    text="""\
TITLE: After the Aid Cuts: Financing Global Health in a Multipolar World
SUB: Discussion Paper, Global Health Policy Forum, Berlin
In 2025 several of the largest donors to global health announced deep cuts to their aid budgets, and the United States began its withdrawal from the World Health Organization. Programmes for HIV, tuberculosis, malaria and immunisation that had been funded for two decades face sudden gaps. How should the burden of financing global health be shared in a world where traditional donors are retreating? Can countries that receive aid today take over the financing of their own programmes, and how fast? What should the global health institutions stop doing, so that they can do the rest well? This paper offers background for the discussion.
H1: A Crowded Architecture
Global health is financed through a dense web of institutions: the World Health Organization, Gavi, the Global Fund, UNAIDS, Unitaid, the Pandemic Fund, the World Bank and dozens of philanthropic initiatives. Each was created to fill a gap, and together they achieved remarkable results, from the halving of child mortality to the millions of people living with HIV who receive treatment. But the architecture imposes high transaction costs on countries, which must report to many funders with different rules, and it has often bypassed national health systems in favour of parallel programmes.
H1: Domestic Resource Mobilisation
Most health spending in middle-income countries is already domestic, and the Lusaka Agenda agreed in 2023 calls on the global health initiatives to support a gradual transition to domestic financing. Yet government revenues in many low-income countries are below fifteen per cent of GDP, and debt service now exceeds health spending in more than thirty of them. Transition plans that looked realistic a few years ago assumed steady growth and stable aid.
H1: New Donors and Innovative Finance
Several countries that once received aid, including Indonesia, Brazil and the Republic of Korea, now contribute to global health funds, and Gulf states have become significant donors. Innovative instruments, from advance market commitments to debt swaps for health and levies on tobacco and sugary drinks, have raised money at the margin. None is likely to replace the grants that traditional donors provided at scale.
H1: Reform of the Institutions
Proposals for reform range from merging funds with overlapping mandates to a common results framework and joint country plans. The leaders of several agencies have acknowledged that the cuts make reform unavoidable. The risk is that consolidation is driven by which programmes lose funding first rather than by a shared view of what the system should look like.
H1: Conclusion
The cuts of 2025 are a shock, but they also force choices that the global health community has avoided for years. The question is whether those choices are made deliberately and together, or by default.
""",
    title="After the Aid Cuts: Financing Global Health in a Multipolar World",
    sections=[
        "Introduction",
        "A Crowded Architecture",
        "Domestic Resource Mobilisation",
        "New Donors and Innovative Finance",
        "Reform of the Institutions",
        "Conclusion",
    ],
    questions=[
        "How should the burden of financing global health be shared in a world where traditional donors are retreating?",
        "Can countries that receive aid today take over the financing of their own programmes, and how fast?",
        "What should the global health institutions stop doing, so that they can do the rest well?",
    ],
    layout={"columns": 2, "footer": "– {page} –"},
)

paper(
    name="refugee-responsibility-sharing.pdf",
    exercises=(
        "ALL-CAPS headings; framing questions in a titled INTRODUCTION, one followed by a "
        "glued footnote number; glued footnote numbers in the text and a NOTES section; "
        "a bare page number as the footer; Helvetica, a core font"
    ),
    text="""\
TITLE: Sharing Responsibility for Refugees: The Global Compact on Refugees Five Years On
SUB: Discussion Paper prepared for the Regional Consultation, Amman, October 2024
H1: INTRODUCTION
The Global Compact on Refugees, affirmed by the UN General Assembly in December 2018, promised a more predictable and equitable sharing of the burden of hosting refugees, most of whom live in low- and middle-income countries neighbouring their own.^1 Five years after the first Global Refugee Forum, the number of people forcibly displaced worldwide has passed 110 million, and the countries of this region host some of the largest refugee populations in the world. Our consultation will consider three questions. Has the Compact made responsibility-sharing more predictable for the countries that host most refugees? What would make the pledges made at the Global Refugee Forum easier to track and to deliver?^2 How can refugees themselves take part in the decisions that affect them?
H1: BACKGROUND
The Compact rests on four objectives: to ease the pressure on host countries, to enhance refugee self-reliance, to expand access to resettlement and other pathways to third countries, and to support conditions for safe return. Unlike the 1951 Refugee Convention, it is not legally binding. Its main tools are the Global Refugee Forum, held every four years, support platforms for specific situations, and an indicator framework to measure progress.
H1: HOSTING COUNTRIES AND THE BURDEN OF PROTECTION
Jordan, Lebanon and Türkiye have hosted millions of Syrian refugees for more than a decade, at a considerable cost to public services, infrastructure and labour markets. Host communities have shown remarkable solidarity, but fatigue is growing, and public debate increasingly focuses on return. International support has declined as new crises in Ukraine, Sudan and Gaza compete for attention and funding.^3
H1: PLEDGES, FINANCING AND THE WORLD BANK WINDOW
More than 1,600 pledges were announced at the 2023 Forum, from governments, businesses, cities and refugee-led organisations. Many are general statements of intent, and few include a budget or a timeline. The most significant financial innovation has been the window of the World Bank for host communities and refugees, which provides grants and concessional loans to low-income hosting countries on condition that they adopt policies promoting the inclusion of refugees in national systems.
H1: SOLUTIONS: RETURN, RESETTLEMENT AND INCLUSION
Durable solutions remain out of reach for most refugees. Resettlement places fall far short of needs identified by UNHCR, and complementary pathways such as labour mobility and education schemes remain small. Return is possible only where conditions are safe, which is not yet the case in most countries of origin. Inclusion in national education, health and labour systems is therefore the most realistic path for many, and it depends on sustained international support to the countries that make it possible.
H1: NOTES
NOTE: 1 UN General Assembly, Report of the United Nations High Commissioner for Refugees, Part II, A/73/12, 2018.
NOTE: 2 UNHCR, Global Refugee Forum 2023: Outcomes and Pledges, Geneva, 2024.
NOTE: 3 UNHCR, Global Trends: Forced Displacement in 2023, June 2024.
""",
    title="Sharing Responsibility for Refugees: The Global Compact on Refugees Five Years On",
    sections=[
        "INTRODUCTION",
        "BACKGROUND",
        "HOSTING COUNTRIES AND THE BURDEN OF PROTECTION",
        "PLEDGES, FINANCING AND THE WORLD BANK WINDOW",
        "SOLUTIONS: RETURN, RESETTLEMENT AND INCLUSION",
        "NOTES",
    ],
    questions=[
        "Has the Compact made responsibility-sharing more predictable for the countries that host most refugees?",
        "What would make the pledges made at the Global Refugee Forum easier to track and to deliver?",
        "How can refugees themselves take part in the decisions that affect them?",
    ],
    layout={"font": "helvetica", "footer": "{page}", "bullet": "-"},
)

paper(
    name="us-china-technology-controls.pdf",
    exercises=(
        "roman-numeral headings; curly quotes and dashes; a running header and a "
        "'Page n' footer on every page; numbered guiding questions at the end, long enough "
        "to wrap"
    ),
    text="""\
TITLE: Chips, Controls, and Cooperation: US Export Controls and the Future of Technology Governance
SUB: Track II Dialogue Paper
H1: I. Introduction
Since October 2022 the United States has progressively tightened controls on the export of advanced semiconductors, chipmaking equipment and, more recently, the weights of frontier AI models. Washington describes the measures as a “small yard, high fence” protecting national security; Beijing sees them as an attempt to contain its development and has answered with export restrictions of its own on critical minerals. This paper, prepared for a Track II dialogue between American and Chinese experts, reviews how the controls have evolved, their effects so far, and the scope for guardrails that could keep technological competition from damaging both countries — and everyone else.
H1: II. The Expanding Scope of Controls
The first package of controls targeted the most advanced logic chips and the equipment needed to make them, and restricted the ability of US persons to support Chinese fabrication facilities. Updates in 2023 and 2024 closed loopholes, extended the rules to more chips designed for AI workloads, and added dozens of Chinese companies to the Entity List. Allies with key equipment suppliers, notably the Netherlands and Japan, introduced controls of their own. The scope of the “yard” has widened with each round.
H1: III. Effects on Industry and Innovation
The controls have slowed, but not stopped, Chinese progress. Chinese firms have stockpiled equipment, designed chips that fall just below the thresholds, and accelerated domestic alternatives, with notable results in mature-node manufacturing. American and allied companies have lost revenue in their largest market, and some argue that this reduces the funds they can invest in research. The net effect on the balance of innovation is contested and will take years to assess.
H1: IV. Allies and Third Countries
Export controls work best when they are multilateral, yet coordination has relied on bilateral bargains rather than on an institution like the Cold War’s Coordinating Committee. Third countries in South-East Asia, the Gulf and elsewhere worry about being forced to choose between technology ecosystems, and about the compliance burden of rules written in Washington and Beijing.
H1: V. Guardrails for Competition
Even rivals share interests in technology governance: preventing the proliferation of dangerous capabilities to non-state actors, keeping AI out of nuclear command and control, and maintaining supply chains for medicines and other essential goods. The November 2024 statement by both presidents that humans, not AI, should control decisions on the use of nuclear weapons shows that limited agreements remain possible.
H1: VI. Guiding Questions
1. Where should the line between national security controls and ordinary economic competition be drawn, and who should draw it?
2. Which channels of communication on export controls would reduce the risk of miscalculation and retaliation?
3. Are there areas of AI safety in which American and Chinese experts could usefully cooperate despite the controls?
4. How can third countries avoid being forced to choose between two technology ecosystems?
""",
    title="Chips, Controls, and Cooperation: US Export Controls and the Future of Technology Governance",
    sections=[
        "Introduction",
        "The Expanding Scope of Controls",
        "Effects on Industry and Innovation",
        "Allies and Third Countries",
        "Guardrails for Competition",
        "Guiding Questions",
    ],
    questions=[
        "Where should the line between national security controls and ordinary economic competition be drawn, and who should draw it?",
        "Which channels of communication on export controls would reduce the risk of miscalculation and retaliation?",
        "Are there areas of AI safety in which American and Chinese experts could usefully cooperate despite the controls?",
        "How can third countries avoid being forced to choose between two technology ecosystems?",
    ],
    layout={"header": "US–China Technology Dialogue  ·  Track II", "footer": "Page {page}"},
)

paper(
    name="urban-resilience-concept-note.pdf",
    exercises=(
        "UN concept note: CONCEPT NOTE above the title, Date/Venue/Organisers lines; "
        "hyphen bullets for objectives and guiding questions; a footer with the event's "
        "name and the page number; Helvetica, a core font"
    ),
    text="""\
SUB: CONCEPT NOTE
TITLE: Building Urban Resilience to Climate Shocks: Local Action, National Plans and the UN System
SUB: Date: 5 November 2025
SUB: Venue: World Urban Forum, Room B
SUB: Organisers: UN-Habitat, UNDRR and the Resilient Cities Network
H1: Background
More than half of the world's population lives in cities, and by 2050 the share is expected to reach two thirds. Cities concentrate people, assets and economic activity, which makes them both highly exposed to floods, heatwaves, storms and droughts and central to any response. Informal settlements, often built on flood plains and steep slopes, house more than a billion people with little protection. Local governments are on the front line of climate shocks, yet they receive a small fraction of international adaptation finance and are often absent from national adaptation plans.
The Sendai Framework for Disaster Risk Reduction and the Paris Agreement both recognise the role of local action, and the Making Cities Resilient 2030 initiative has enrolled more than 1,600 cities. The next round of nationally determined contributions and national adaptation plans is an opportunity to connect local and national efforts.
H1: Objectives
- Share practical experience of cities that have reduced losses from climate shocks through planning, infrastructure and early warning.
- Identify how national adaptation plans and nationally determined contributions can integrate local priorities and channel finance to cities.
- Discuss how the UN system can better support local governments, including in informal settlements.
H1: Format
A ninety-minute dialogue with opening remarks by UN-Habitat and UNDRR, a panel of mayors, national officials and community representatives, and an open discussion with participants.
H1: Guiding Questions
- What has worked best in cities that have reduced losses from floods and heatwaves, and can it be replicated elsewhere?
- How can adaptation finance reach local governments and community organisations directly?
- What should national adaptation plans require of cities, and what should cities be able to require of national governments?
H1: Expected Outcomes
Key messages from the dialogue will feed into the Forum's declared actions and the preparations of the next climate conference.
""",
    title="Building Urban Resilience to Climate Shocks: Local Action, National Plans and the UN System",
    sections=[
        "Background",
        "Objectives",
        "Format",
        "Guiding Questions",
        "Expected Outcomes",
    ],
    questions=[
        "What has worked best in cities that have reduced losses from floods and heatwaves, and can it be replicated elsewhere?",
        "How can adaptation finance reach local governments and community organisations directly?",
        "What should national adaptation plans require of cities, and what should cities be able to require of national governments?",
    ],
    layout={
        "font": "helvetica",
        "bullet": "-",
        "footer": "World Urban Forum | Concept Note | {page}",
    },
)

paper(
    name="arctic-cooperation-under-strain.pdf",
    exercises=(
        "a title long enough to wrap onto two lines; a running header; superscript "
        "footnote markers; numbered headings with 2.1 subsections; framing questions both "
        "in the untitled opening and in a Questions for Discussion list, followed by notes"
    ),
    text="""\
TITLE: Cooperation Under Strain: Security, Science and Indigenous Rights in a Warming Arctic after the Pause of the Arctic Council
SUB: Policy Brief, Nordic Security Conference, Tromsø
The Arctic is warming nearly four times faster than the global average, opening sea routes and access to resources while threatening ecosystems and the livelihoods of its peoples.^1 Since Russia's full-scale invasion of Ukraine in 2022, the regional cooperation that made the Arctic a model of low tension has been largely frozen. What forms of cooperation with Russia remain possible, and desirable, in the Arctic? How can Indigenous Peoples' organisations keep their voice in regional governance while the Council's work is constrained? This brief reviews the state of Arctic governance and the security dynamics in the region.
H1: 1. The Arctic Council in Limbo
In March 2022 the seven other member states paused their participation in the Arctic Council, then chaired by Russia. Work resumed in a limited form in 2023 under the Norwegian chairship, with projects continuing in written procedures and without meetings at the political level. Expert groups on pollution, biodiversity and emergency response have kept some continuity, but joint monitoring that covered the Russian Arctic, roughly half of the region, has largely stopped.^2
H1: 2. Security Dynamics
H2: 2.1 NATO Enlargement in the North
The accession of Finland and Sweden to NATO means that seven of the eight Arctic states are now allies. Exercises in the High North have grown in size and frequency, and allies are investing in surveillance, icebreakers and infrastructure. For Norway and the Nordic states, the challenge is to strengthen deterrence while avoiding steps that Russia could present as provocation.
H2: 2.2 Russia's Arctic Posture
The Kola Peninsula hosts the Northern Fleet and much of Russia's sea-based nuclear deterrent, which makes the region central to its strategy. Russia has reopened Soviet-era bases and promotes the Northern Sea Route as a commercial artery, increasingly in partnership with China, which describes itself as a near-Arctic state.
H1: 3. Science and Environmental Monitoring
Climate science depends on data from the whole Arctic. Gaps in observations of permafrost, sea ice and methane emissions from the Russian Arctic reduce the accuracy of global climate models. Scientists have proposed channels for data sharing that avoid political engagement, but sanctions and institutional caution have made them hard to establish.
H1: 4. Questions for Discussion
- Should Arctic states seek to restore the full work of the Arctic Council, or build new arrangements without Russia?
- Which military risk-reduction measures, such as incident prevention at sea, could be agreed even in the current climate?
- How can the scientific community preserve the exchange of data across the region?
NOTE: 1 Arctic Monitoring and Assessment Programme, Arctic Climate Change Update 2021.
NOTE: 2 Arctic Council Secretariat, Chairship statements, 2023 and 2024.
""",
    title="Cooperation Under Strain: Security, Science and Indigenous Rights in a Warming Arctic after the Pause of the Arctic Council",
    sections=[
        "Introduction",
        "The Arctic Council in Limbo",
        "Security Dynamics",
        "NATO Enlargement in the North",
        "Russia's Arctic Posture",
        "Science and Environmental Monitoring",
        "Questions for Discussion",
    ],
    questions=[
        "What forms of cooperation with Russia remain possible, and desirable, in the Arctic?",
        "How can Indigenous Peoples' organisations keep their voice in regional governance while the Council's work is constrained?",
        "Should Arctic states seek to restore the full work of the Arctic Council, or build new arrangements without Russia?",
        "Which military risk-reduction measures, such as incident prevention at sea, could be agreed even in the current climate?",
        "How can the scientific community preserve the exchange of data across the region?",
    ],
    layout={"header": "Nordic Security Conference  —  Policy Brief", "superscript": True},
)

# =========================================================================== .docx

paper(
    name="targeted-sanctions-lessons.docx",
    exercises=(
        "the canonical Word paper: Title and Subtitle styles, Heading 1 and Heading 2, "
        "List Number questions under Questions for Discussion, superscript footnotes"
    ),
    text="""\
TITLE: Targeted Sanctions, Broad Effects: Lessons from a Decade of UN, EU and US Measures
SUB: Roundtable Discussion Paper
H1: Introduction
Sanctions have become the instrument of first resort in international crises. The UN Security Council maintains fourteen sanctions regimes, the European Union more than forty, and the United States several thousand designations added each year.^1 This paper reviews what the evidence says about the effectiveness of sanctions, their unintended effects, and the recent efforts to protect humanitarian action, as background for the roundtable.
H1: The Evolution of Sanctions
H2: From Comprehensive to Targeted Measures
The humanitarian consequences of the comprehensive embargo on Iraq in the 1990s led to a shift towards "smart" or targeted sanctions: asset freezes and travel bans on individuals and entities, arms embargoes, and restrictions on specific sectors. Targeted measures were expected to pressure decision-makers while sparing ordinary people.
H2: The Rise of Unilateral Regimes
Since the Security Council has become divided, most new sanctions are adopted unilaterally or by coalitions. The measures imposed on Russia since 2022, covering central bank reserves, energy exports and technology, are the broadest ever applied to a major economy. Secondary sanctions, which penalise third-country firms for dealing with targets, extend their reach and create friction with partners.
H1: Evidence on Effectiveness
Studies find that sanctions achieve their stated aims in a minority of cases, more often when goals are limited, when the target depends economically on the sender, and when sanctions are combined with diplomacy.^2 Sanctions also serve other purposes: signalling disapproval, constraining capabilities, and satisfying domestic demands for action. Judged by these standards, success is easier to claim and harder to measure.
H1: Humanitarian Carve-Outs
In December 2022 the Security Council adopted resolution 2664, creating a standing humanitarian exemption across UN asset-freeze regimes, and the EU and the United States followed with similar provisions. Humanitarian organisations report that banks remain reluctant to process payments to sanctioned countries, a phenomenon known as de-risking, so exemptions on paper do not always reach the ground.
H1: Questions for Discussion
1. What conditions make targeted sanctions most likely to change the behaviour of their targets?
2. How can coalitions coordinate sanctions and their exemptions without a consensus in the Security Council?
3. What would it take for banks to trust humanitarian exemptions enough to process the payments they allow?
NOTE: 1 Figures from the Targeted Sanctions Consortium and the Global Sanctions Database, 2024.
NOTE: 2 See the review of the literature in the Global Sanctions Database, 2023 update.
""",
    title="Targeted Sanctions, Broad Effects: Lessons from a Decade of UN, EU and US Measures",
    sections=[
        "Introduction",
        "The Evolution of Sanctions",
        "From Comprehensive to Targeted Measures",
        "The Rise of Unilateral Regimes",
        "Evidence on Effectiveness",
        "Humanitarian Carve-Outs",
        "Questions for Discussion",
    ],
    questions=[
        "What conditions make targeted sanctions most likely to change the behaviour of their targets?",
        "How can coalitions coordinate sanctions and their exemptions without a consensus in the Security Council?",
        "What would it take for banks to trust humanitarian exemptions enough to process the payments they allow?",
    ],
)

paper(
    name="african-vaccine-manufacturing.docx",
    exercises=(
        "no heading styles at all: the title and the headings are bold Normal paragraphs; "
        "an italic subtitle; framing questions inside the bold Introduction"
    ),
    text="""\
TITLE: Made in Africa: Regional Vaccine Manufacturing, Market Shaping and the African Medicines Agency
SUB: Discussion Paper for the Africa Health Financing Roundtable, Kigali
H1: Introduction
Africa imports about ninety-nine per cent of the vaccines it uses. During the COVID-19 pandemic the continent waited months longer than others for doses, an experience that led the African Union to set a target of producing sixty per cent of its vaccine needs on the continent by 2040. Several new plants are now under construction or in early production in Senegal, Rwanda, South Africa and Egypt. Can African manufacturers compete on price with established suppliers in India and elsewhere? Who will buy their vaccines once the plants are built? How quickly can regulators on the continent reach the standards that international buyers require?
H1: The Manufacturing Landscape
Most current projects focus on the final stages of production, filling and finishing vials with vaccine substance made elsewhere. Full production of the substance itself requires far larger investments, skilled staff and years of technology transfer. The mRNA technology transfer hub in Cape Town, supported by the World Health Organization, aims to shorten that path by sharing know-how with partners in several countries.
H1: Demand and Market Shaping
A factory without orders will close. The largest buyer of vaccines for Africa is UNICEF on behalf of Gavi, which buys at low prices through competitive tenders. In 2024 Gavi launched the African Vaccine Manufacturing Accelerator, which will pay manufacturers on the continent an additional amount per dose for a limited period, to help them reach scale. Whether this is enough to offset higher production costs is uncertain.
H1: Regulation and the African Medicines Agency
Strong regulators are a condition for exports and for buyers' confidence. Only a few African regulators have reached the maturity level that the World Health Organization requires for vaccine production. The African Medicines Agency, now established in Kigali, is expected to harmonise standards and pool scarce expertise, but it will take years to build its capacity.
H1: Financing the Ambition
Development finance institutions, the European Union's Team Europe initiative and private investors have committed significant funds to individual plants. Sustaining them will require long-term purchase commitments, support for research and development, and national budgets that value regional supply security.
""",
    title="Made in Africa: Regional Vaccine Manufacturing, Market Shaping and the African Medicines Agency",
    sections=[
        "Introduction",
        "The Manufacturing Landscape",
        "Demand and Market Shaping",
        "Regulation and the African Medicines Agency",
        "Financing the Ambition",
    ],
    questions=[
        "Can African manufacturers compete on price with established suppliers in India and elsewhere?",
        "Who will buy their vaccines once the plants are built?",
        "How quickly can regulators on the continent reach the standards that international buyers require?",
    ],
    layout={"title": "bold", "headings": "bold", "subtitle": "italic"},
)

paper(
    name="internet-fragmentation-roundtable.docx",
    exercises=(
        "Title and Subtitle styles; framing questions as List Bullet items in the untitled "
        "opening; numbered Heading 1 (1.) and Heading 2 (1.1) texts"
    ),
    text="""\
TITLE: Keeping the Internet Whole: Fragmentation, Sovereignty and the Future of Digital Governance
SUB: Roundtable Discussion Paper
The internet was built as a single network of networks, governed by technical communities, companies and governments together. That model is under pressure. Governments increasingly assert digital sovereignty through data localisation rules, national firewalls and content regulation, while commercial platforms build walled gardens. The roundtable will consider three questions:
- Is some fragmentation of the internet inevitable, or even desirable, as states assert digital sovereignty?
- Which layers of the internet, from technical protocols to content rules, most need to stay global?
- What role should the Internet Governance Forum play now that its mandate has been renewed?
H1: 1. The Splinternet Debate
The term "splinternet" covers very different phenomena. Distinguishing them matters, because the remedies differ.
H2: 1.1 Technical Fragmentation
At the technical layer, the internet remains remarkably unified: a common system of names and numbers coordinated by ICANN and the regional internet registries, and shared protocols developed in open standards bodies. Proposals for alternative root servers or new state-led protocols have so far gained little traction.
H2: 1.2 Governmental Fragmentation
Most fragmentation today is driven by policy: rules requiring data to be stored locally, shutdowns during elections and protests, and blocking of foreign services. Some of these measures pursue legitimate aims such as privacy and security; others restrict human rights.
H2: 1.3 Commercial Fragmentation
Large platforms shape what users see and which services interoperate. Regulation such as the EU's Digital Markets Act tries to reopen these walled gardens, but divergent national rules can themselves deepen fragmentation.
H1: 2. Governance Processes
The multistakeholder model was reaffirmed in the Global Digital Compact and in the review of the World Summit on the Information Society, which renewed the mandate of the Internet Governance Forum. Multilateral processes, including negotiations on cybercrime and data governance, increasingly overlap with it.
H1: 3. Options
Participants may wish to consider commitments to keep the technical layer unified, principles for proportionate data localisation, and stronger cooperation between the Internet Governance Forum and standards bodies.
""",
    title="Keeping the Internet Whole: Fragmentation, Sovereignty and the Future of Digital Governance",
    sections=[
        "Introduction",
        "The Splinternet Debate",
        "Technical Fragmentation",
        "Governmental Fragmentation",
        "Commercial Fragmentation",
        "Governance Processes",
        "Options",
    ],
    questions=[
        "Is some fragmentation of the internet inevitable, or even desirable, as states assert digital sovereignty?",
        "Which layers of the internet, from technical protocols to content rules, most need to stay global?",
        "What role should the Internet Governance Forum play now that its mandate has been renewed?",
    ],
)

paper(
    name="wto-fisheries-subsidies.docx",
    exercises=(
        "the title in a Heading 1 paragraph and the sections in Heading 2 (a common way of "
        "writing in Word); guiding questions as Normal paragraphs broken by soft returns"
    ),
    text="""\
H1: The WTO Agreement on Fisheries Subsidies: Closing the Deal on Overcapacity and Overfishing
SUB: Background note for the Ocean Trade Roundtable, Geneva
H2: Why Fisheries Subsidies Matter
Governments spend an estimated thirty-five billion dollars a year on fisheries subsidies, and about two thirds of that sum goes to fuel, vessel construction and other support that increases fishing capacity. More than a third of assessed fish stocks are overfished. Ending harmful subsidies has been a goal of the Sustainable Development Goals and of WTO negotiations for more than twenty years.
H2: The 2022 Agreement
At the Twelfth Ministerial Conference in June 2022, WTO members adopted the Agreement on Fisheries Subsidies, the first WTO agreement with environmental sustainability as its central aim. It prohibits subsidies to illegal, unreported and unregulated fishing, to fishing of overfished stocks, and to fishing on the unregulated high seas. It also creates a fund to help developing countries implement it. The agreement entered into force in September 2025, after two thirds of members had accepted it.
H2: The Unfinished Second Wave
The harder part of the negotiations, disciplines on subsidies that contribute to overcapacity and overfishing, was left for a second wave. Talks have stalled over the treatment of large fishing nations among developing countries, flexibilities for small-scale and artisanal fishers, and the transparency obligations that would allow members to verify compliance. India and several other members insist on long transition periods, while others argue that the largest subsidisers must not escape discipline.
H2: Implementation
The notification of subsidies to the WTO has historically been incomplete, and many developing countries lack the data on fish stocks that the new rules require. The fund established by the agreement has begun to finance projects, but its resources are modest.
H2: Guiding Questions
What would it take to conclude the second wave of negotiations on subsidies that // contribute to overcapacity and overfishing?
How can the special needs of small-scale fishers be protected without creating // loopholes for industrial fleets?
""",
    title="The WTO Agreement on Fisheries Subsidies: Closing the Deal on Overcapacity and Overfishing",
    sections=[
        "Why Fisheries Subsidies Matter",
        "The 2022 Agreement",
        "The Unfinished Second Wave",
        "Implementation",
        "Guiding Questions",
    ],
    questions=[
        "What would it take to conclude the second wave of negotiations on subsidies that contribute to overcapacity and overfishing?",
        "How can the special needs of small-scale fishers be protected without creating loopholes for industrial fleets?",
    ],
    layout={"subtitle": "italic"},
)

paper(
    name="disaster-risk-finance-g20.docx",
    exercises=(
        "Title style; numbered Heading 1 and Heading 2 texts; framing questions both in "
        "1. Introduction and as List Bullet items under 5. Guiding questions"
    ),
    text="""\
TITLE: Pre-Arranged Finance for Disasters: Insurance, Contingent Credit and the G20 Agenda
SUB: Working Paper, Sustainable Finance Roundtable
H1: 1. Introduction
When a disaster strikes, money that arrives in days saves more lives and livelihoods than money that arrives in months. Yet most international support after disasters is still raised after the event, through appeals and emergency loans. Pre-arranged finance, agreed before a disaster and released according to clear triggers, promises to change this. How much of the response to disasters should be financed in advance? Who should pay the premiums and the cost of contingent credit?
H1: 2. Why Pre-Arranged Finance
Studies by the World Bank and the Centre for Disaster Protection suggest that each dollar of pre-arranged finance can save several dollars of response costs, because it allows early action, protects assets and reduces the need for households to sell livestock or take children out of school. Predictable funding also allows governments to plan and to link payouts to social protection systems.
H1: 3. Instruments
H2: 3.1 Regional Risk Pools
Regional pools such as the Caribbean Catastrophe Risk Insurance Facility, the African Risk Capacity and the Pacific Catastrophe Risk Insurance Company allow countries to insure against hurricanes, droughts and earthquakes at a lower cost than they could obtain alone. Payouts are triggered by parametric indices, such as wind speed or rainfall, rather than assessed losses, which makes them fast.
H2: 3.2 Contingent Credit and Climate-Resilient Debt Clauses
Development banks offer contingent credit lines that a government can draw on after a disaster, and a growing number of bonds and loans include clauses that pause debt service after a qualifying event. The World Bank extended such clauses to its lending to small states in 2023.
H1: 4. Basis Risk and Trust
Parametric instruments carry basis risk: a payout may not come when losses are large, or may come when they are small. When Malawi suffered a drought in 2016 that its insurance model did not register, the lack of a payout damaged trust in the whole approach. Better models, blended triggers and transparent communication can reduce, but not remove, this risk.
H1: 5. Guiding questions
- Should the G20 set a target for the share of disaster response financed in advance?
- How can basis risk be shared fairly between countries, insurers and donors?
""",
    title="Pre-Arranged Finance for Disasters: Insurance, Contingent Credit and the G20 Agenda",
    sections=[
        "Introduction",
        "Why Pre-Arranged Finance",
        "Instruments",
        "Regional Risk Pools",
        "Contingent Credit and Climate-Resilient Debt Clauses",
        "Basis Risk and Trust",
        "Guiding questions",
    ],
    questions=[
        "How much of the response to disasters should be financed in advance?",
        "Who should pay the premiums and the cost of contingent credit?",
        "Should the G20 set a target for the share of disaster response financed in advance?",
        "How can basis risk be shared fairly between countries, insurers and donors?",
    ],
)

paper(
    name="mdb-reform-sdg-financing.docx",
    exercises=(
        "no questions at all; Title style; ALL-CAPS Heading 1 texts; a table (warned as "
        "not imported); superscript footnotes and a NOTES heading"
    ),
    text="""\
TITLE: Closing the SDG Financing Gap: Reforming the Multilateral Development Banks
SUB: Think-Tank Brief, Financing for Development Roundtable
H1: SUMMARY
Developing countries other than China face an annual gap of several trillion dollars in the investment needed to meet the Sustainable Development Goals and their climate commitments.^1 Multilateral development banks cannot close that gap alone, but they can lend more from their existing capital, attract private investment and support reforms that raise domestic revenue. This brief reviews the reforms under way since the G20 review of the capital adequacy frameworks of the banks in 2022.
H1: THE SCALE OF THE GAP
Estimates differ in their method and scope, but all point to needs far larger than current flows.
| Source of estimate | Annual need | Year |
| Independent High-Level Expert Group on Climate Finance | 2.4 trillion dollars for climate | 2030 |
| UNCTAD | 4 trillion dollars for the SDGs | 2030 |
H1: CAPITAL ADEQUACY AND BALANCE SHEETS
The G20 review found that the banks could lend substantially more without harming their credit ratings by adjusting their risk appetite, recognising the value of callable capital and making greater use of hybrid capital. The World Bank has since lowered its minimum equity-to-loans ratio, and other banks have followed with similar measures, together freeing several hundred billion dollars of lending capacity over a decade.
H1: HYBRID CAPITAL AND SPECIAL DRAWING RIGHTS
Hybrid capital, which counts as equity for the banks but can be bought by shareholders and other investors, offers a way to expand lending without new paid-in capital. Several countries have proposed channelling their special drawing rights through the banks as hybrid capital, a proposal that the IMF approved in 2024 for the African Development Bank and the Inter-American Development Bank, subject to limits.^2
H1: GOVERNANCE AND VOICE
Shareholders of the banks from developing countries seek a greater voice in their governance, in line with their weight in the world economy. Capital increases, which would change voting shares, have proved difficult to agree, and the largest shareholders remain reluctant to dilute their influence.
H1: NOTES
NOTE: 1 Independent High-Level Expert Group on Climate Finance, Raising Ambition and Accelerating Delivery, 2024.
NOTE: 2 IMF, Use of SDRs in Hybrid Capital Instruments of Multilateral Development Banks, May 2024.
""",
    title="Closing the SDG Financing Gap: Reforming the Multilateral Development Banks",
    sections=[
        "SUMMARY",
        "THE SCALE OF THE GAP",
        "CAPITAL ADEQUACY AND BALANCE SHEETS",
        "HYBRID CAPITAL AND SPECIAL DRAWING RIGHTS",
        "GOVERNANCE AND VOICE",
        "NOTES",
    ],
    questions=[],
)
