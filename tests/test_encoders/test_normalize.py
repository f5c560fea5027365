"""Tests of encoders.normalize: one normal form for the spellings of one name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from encoders.normalize import (
    BREAK,
    COMMA,
    JOINERS,
    NAME_LETTERS,
    content_tokens,
    fold,
    is_acronym,
    normalize_token,
    phrase_variants,
    scan,
    singularize,
    stem,
    tokenize,
)


def test_fold_strips_accents_and_case() -> None:
    assert fold("Sjögren") == "sjogren"
    assert fold("CAFÉ") == "cafe"


def test_singularize_regular_and_latin_plurals() -> None:
    assert singularize("seizures") == "seizure"
    assert singularize("abnormalities") == "abnormality"
    assert singularize("reflexes") == "reflex"
    assert singularize("vertebrae") == "vertebra"
    assert singularize("phalanges") == "phalanx"
    assert singularize("exostoses") == "exostosis"
    assert singularize("teeth") == "tooth"
    assert singularize("delays") == "delay"
    assert singularize("kidneys") == "kidney"
    assert singularize("pneumothoraces") == "pneumothorax"


def test_singularize_irregular_singulars_are_fixed_points() -> None:
    # a plural and its singular written in text must meet ("dislocated lenses", "lens")
    from encoders.normalize import _IRREGULAR_PLURALS

    for plural, singular in _IRREGULAR_PLURALS.items():
        assert singularize(singular) == singular, plural
    assert normalize_token("lenses") == normalize_token("lens")


def test_singularize_keeps_singulars_ending_in_s() -> None:
    for word in ("status", "axis", "stenosis", "mass", "pes", "always", "sideways"):
        assert singularize(word) == word


def test_stem_meets_adjective_and_noun() -> None:
    assert stem("microcephalic") == stem("microcephaly")
    assert stem("hypotonic") == stem("hypotonia")
    assert stem("dysplastic") == stem("dysplasia")
    assert stem("delayed") == stem("delay")
    assert stem("sloping") == stem("sloped")
    assert stem("thinning") == stem("thinned")


def test_normalize_token_folds_british_spelling_and_acronym_plural() -> None:
    assert normalize_token("Oedema") == normalize_token("edema")
    assert normalize_token("haemorrhage") == normalize_token("hemorrhage")
    assert normalize_token("UTIs") == normalize_token("UTI")
    assert normalize_token("toes") == normalize_token("toe")


def test_tokenize_keeps_offsets_and_marks_breaks() -> None:
    text = "Self-mutilating behaviour, seizures."
    tokens = tokenize(text)
    assert [text[t.start : t.end] for t in tokens] == [t.raw for t in tokens]
    assert [t.raw for t in tokens] == ["Self", "mutilating", "behaviour", ",", "seizures", "."]
    assert [t.is_break for t in tokens] == [False, False, False, True, False, True]
    assert tokens[3].norm == BREAK


def test_content_tokens_drop_stopwords_and_punctuation() -> None:
    assert content_tokens("Abnormality of the heart") == content_tokens("abnormalities, heart")
    assert content_tokens("self-mutilating behaviors") == content_tokens("Self mutilating behavior")
    assert content_tokens("of the") == ()


def test_is_acronym() -> None:
    assert is_acronym("GERD")
    assert is_acronym("UTIs")
    assert is_acronym("C2")
    assert not is_acronym("Seizure")
    assert not is_acronym("A")


def test_phrase_variants_inversion_hyphen_and_permutation() -> None:
    variants = phrase_variants("Dysplasia of the hip")
    assert variants[content_tokens("dysplasia hip")] == "exact"
    assert variants[content_tokens("hip dysplasia")] in ("inverted", "permuted")
    joined = phrase_variants("Down-slanting palpebral fissures")
    assert content_tokens("downslanting palpebral fissures") in joined
    long = phrase_variants("Abnormality of the left upper limb bones")
    assert content_tokens("left upper limb bones abnormality") in long
    assert "permuted" not in long.values()  # no permutations of long names
    assert phrase_variants("the") == {}


@given(st.text(max_size=80))
def test_tokenize_offsets_roundtrip(text: str) -> None:
    tokens = tokenize(text)
    for k, t in enumerate(tokens):
        assert text[t.start : t.end] == t.raw
        if t.raw in NAME_LETTERS and t.norm == t.raw:  # a name's letter, by its place
            before, after = text[: t.start], text[t.end :]
            assert (k and tokens[k - 1].norm != BREAK) or after.startswith("-")
            assert before or after.startswith("-")
        else:
            assert t.norm == BREAK or t.norm == normalize_token(t.raw)


@given(st.sampled_from(["A", "S"]), st.sampled_from(["vitamin ", "type ", "", ". ", "x-"]))
def test_a_letter_is_a_names_letter_only_in_its_place(letter: str, before: str) -> None:
    (*_, token) = tokenize(before + letter)
    inside = before.strip() not in ("", ".")  # after a word of the same phrase
    assert (token.norm == letter) == (letter == "A" and inside)
    (token, *_) = tokenize(letter + "-shaped")
    assert (token.norm == letter) == (letter == "S")


def test_stem_meets_tion_nouns_and_participles() -> None:
    assert stem("mutilation") == stem("mutilating") == stem("mutilated")
    assert (
        normalize_token("dilatation") == normalize_token("dilation") == normalize_token("dilated")
    )
    assert stem("malpositioned") == stem("malposition")
    assert stem("functioning") == stem("function")


def test_stem_meets_ism_iform_and_ied_forms() -> None:
    assert stem("dysmorphism") == stem("dysmorphic") == stem("dysmorphia")
    assert stem("hirsutism") == stem("hirsute")
    assert stem("epileptiform") == stem("epileptic")
    assert stem("atrophied") == stem("atrophy") == stem("atrophic")


def test_stem_keeps_words_whose_derived_stem_is_another_word() -> None:
    assert stem("traction") != stem("tract")
    assert stem("alcoholism") != stem("alcohol")
    assert stem("negativism") != stem("negative")
    assert stem("collection") != stem("collecting")
    assert stem("collectionism") != stem("collection")
    assert stem("aspiration") != stem("aspirated")
    assert stem("fusiform") != stem("fused")


def test_singularize_latin_plurals_in_i_and_lenses() -> None:
    assert singularize("thalami") == "thalamus"
    assert singularize("hippocampi") == "hippocampus"
    assert singularize("lenses") == "lens"


def test_content_tokens_drop_possessive_determiners() -> None:
    assert content_tokens("delayed in his speech") == content_tokens("delayed speech")
    assert content_tokens("deformities of their feet") == content_tokens("deformity of feet")


def test_phrase_variants_lexical_alternations() -> None:
    variants = phrase_variants("Decreased muscle mass")
    assert variants[content_tokens("reduced muscle mass")] == "lexical"
    assert variants[content_tokens("muscle mass reduced")] == "permuted"
    assert phrase_variants("Heart defect")[content_tokens("cardiac defect")] == "lexical"
    assert content_tokens("weak sucking") in phrase_variants("Poor sucking")
    assert content_tokens("white matter changes") in phrase_variants("White matter alterations")


def test_phrase_variants_abnormality_and_inability_patterns() -> None:
    brain = phrase_variants("Abnormal brain morphology")
    for phrase in ("brain malformation", "abnormal brain", "brain anomalies", "brain changes"):
        assert brain[content_tokens(phrase)] == "pattern"
    elbow = phrase_variants("Abnormality of the elbow")
    assert elbow[content_tokens("elbow deformity")] == "pattern"
    assert elbow[content_tokens("deformities of the elbows")] == "pattern"  # word order
    assert content_tokens("claw hands") in phrase_variants("Claw hand deformity")
    walk = phrase_variants("Inability to walk")
    assert walk[content_tokens("cannot walk")] == "pattern"
    assert walk[content_tokens("unable to walk")] == "pattern"
    # Names listing several things have no single X to rephrase.
    assert "pattern" not in phrase_variants("Abnormality of the head and neck").values()


def test_phrase_variants_abnormally_behaviour_and_eye_patterns() -> None:
    head = phrase_variants("Abnormally small head")
    assert head[content_tokens("small head")] == "pattern"
    eyeball = phrase_variants("Abnormally small eyeball")
    assert content_tokens("small eyes") in eyeball  # "eyeball" written "eye" with its size
    # "eye" is not "eyeball" elsewhere: "no eye contact" is no "No eyeball"
    assert content_tokens("no eye") not in phrase_variants("No eyeball")
    # only a size: "normally shaped ears", a "straight spine" are no abnormality
    assert content_tokens("shaped ears") not in phrase_variants("Abnormally shaped ears")
    assert content_tokens("straight spine") not in phrase_variants("Abnormally straight spine")
    autistic = phrase_variants("Autistic behavior")
    assert autistic[content_tokens("autistic features")] == "pattern"
    assert autistic[content_tokens("autistic traits")] == "pattern"
    # an adjective that also describes other things than behaviour is not rephrased
    assert content_tokens("aggressive features") not in phrase_variants("Aggressive behavior")
    assert content_tokens("atypical traits") not in phrase_variants("Atypical behavior")
    # "the stereotypic features of Williams syndrome" are its typical ones
    assert content_tokens("stereotypic features") not in phrase_variants("Stereotypic behaviour")


def test_scan_gives_the_tokens_of_tokenize() -> None:
    for text in ("Self-mutilating behaviour, seizures.", " Sjögren’s “GERD” • (VSDs)! ", "", "x"):
        table = scan(text)
        assert table[:] == tokenize(text)
        assert len(table) == len(tokenize(text))
        assert table.lowers == [fold(t.raw) for t in tokenize(text)]


def test_scan_char_spans_in_and_out_of_order() -> None:
    text = "No  seizures, (GERD)  and hypotonia."
    table, tokens = scan(text), tokenize(text)
    spans = [(1, 2), (1, 3), (4, 5), (7, 9)]
    expected = [(tokens[i].start, tokens[j - 1].end) for i, j in spans]
    assert table.char_spans(spans) == expected
    assert table.char_spans(spans[::-1]) == expected[::-1]
    assert [text[a:b] for a, b in table.char_spans([(7, 8)])] == ["hypotonia"]


def test_phrase_variants_keep_conjunctions_inside() -> None:
    variants = phrase_variants("Hypoplasia and aplasia")
    assert content_tokens("aplasia and hypoplasia") in variants
    assert not any(key[0] in JOINERS or key[-1] in JOINERS for key in variants)


def test_phrase_variants_laboratory_names() -> None:
    ck = phrase_variants("Elevated circulating creatine kinase concentration")
    for phrase in (
        "high creatine kinase",
        "raised serum creatine kinase",
        "increased levels of creatine kinase",
        "plasma creatine kinase increased",
    ):
        assert ck[content_tokens(phrase)] == "pattern", phrase
    # a direction is never read as its opposite, nor a specimen as another
    assert content_tokens("low creatine kinase") not in ck
    assert content_tokens("elevated urinary creatine kinase") not in ck
    calcium = phrase_variants("Low blood calcium levels")
    assert content_tokens("decreased serum calcium") in calcium
    assert content_tokens("calcium low") in calcium
    urine = phrase_variants("Elevated urinary creatine level")
    for phrase in ("creatine high in the urine", "increased excretion of creatine"):
        assert content_tokens(phrase) in urine, phrase
    assert content_tokens("high creatine") not in urine  # no specimen reads as blood
    assert content_tokens("high creatine") in phrase_variants("Creatine high in blood")
    acid = phrase_variants("3-Methylglutaconic aciduria")
    assert content_tokens("elevated urinary 3-methylglutaconic acid") in acid
    assert content_tokens("high 3-methylglutaconic acid") not in acid
    assert content_tokens("raised plasma methylmalonic acid") in phrase_variants(
        "Methylmalonic acidemia"
    )
    assert content_tokens("elevated methionine") in phrase_variants("Increased methionine in blood")
    tsh = phrase_variants("High TSH")  # an acronym after a direction is an analyte
    assert content_tokens("serum TSH elevated") in tsh
    # a word that is not written as an acronym is no analyte after a direction
    assert content_tokens("serum iq high") not in phrase_variants("High iq")


def test_phrase_variants_laboratory_pattern_leaves_other_names_alone() -> None:
    # "high"/"low" are directions only in laboratory names: a high palate is not elevated
    assert content_tokens("elevated palate") not in phrase_variants("High palate")
    # pressures and cell counts are not analytes
    assert content_tokens("low pressure") not in phrase_variants("Low blood pressure")
    assert content_tokens("decreased cell count") not in phrase_variants("Low blood cell count")
    # a quantity's noun alone makes a laboratory name; neither makes none
    assert content_tokens("low hemoglobin") in phrase_variants("Decreased hemoglobin concentration")
    assert content_tokens("high body weight") not in phrase_variants("Increased body weight")


def test_a_name_with_commas_is_also_keyed_with_them() -> None:
    keys = phrase_variants("Intellectual disability, severe")
    key = (*content_tokens("Intellectual disability"), COMMA, *content_tokens("severe"))
    assert keys[key] == "exact"
    # a chemical's commas are no list ("2,4-dienoyl"), and a name without one has no such key
    assert not any(COMMA in k for k in phrase_variants("Decreased 2,4-dienoyl-CoA reductase"))
    assert not any(COMMA in k for k in phrase_variants("Short stature"))


def test_an_ordinal_in_digits_reads_as_in_words() -> None:
    assert [normalize_token(w) for w in ("2nd", "3RD", "5th", "12th")] == [
        normalize_token(w) for w in ("second", "third", "fifth", "twelfth")
    ]
    assert content_tokens("syndactyly of the 2nd and 3rd toes") == content_tokens(
        "Syndactyly of second and third toes"
    )
    assert normalize_token("13th") == "13th"  # past the twelfth: as written


def test_british_spellings_read_as_american() -> None:
    pairs = [
        ("tumours", "tumors"),
        ("behavioural", "behavioral"),
        ("fibres", "fibers"),
        ("centre", "center"),
        ("generalised", "generalized"),
        ("mineralisation", "mineralization"),
        ("paralysed", "paralyzed"),
        ("leucopenia", "leukopenia"),
        ("sulphate", "sulfate"),
        ("diarrhoea", "diarrhea"),
        ("distension", "distention"),
        ("greying", "graying"),
    ]
    assert [normalize_token(b) for b, _ in pairs] == [normalize_token(a) for _, a in pairs]
    # words in -ise, -re or -our that are no British spelling keep their form
    for word in ("raised", "exercise", "supervised", "more", "pure", "four", "hours", "analysis"):
        assert normalize_token(word) == stem(singularize(fold(word))), word


def test_phrase_variants_a_cns_myelination_finding_without_its_site() -> None:
    # "MRI showed hypomyelination": the site a note leaves out is the brain's (version 24)
    bare = content_tokens("hypomyelination")
    assert phrase_variants("CNS hypomyelination")[bare] == "pattern"
    assert content_tokens("hypermyelination") in phrase_variants("CNS hypermyelination")
    # other sites and other CNS findings keep theirs: "cyst" alone is no CNS cyst
    assert bare not in phrase_variants("Peripheral hypomyelination")
    assert content_tokens("cyst") not in phrase_variants("CNS cyst")


def test_a_terminals_colour_codes_are_blanks_between_words() -> None:
    text = "\x1b[31mSeizures\x1b[0m and \x1b[1;4mhypotonia\x1b[m."
    table = scan(text)
    assert table.raws == ["Seizures", "and", "hypotonia", "."]
    # offsets are the text's own: the codes take their places as blanks
    assert [text[t.start : t.end] for t in tokenize(text)] == table.raws
