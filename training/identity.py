"""Clean sentences that mention identities: a small augmentation set for training and a disjoint set for
measuring false positives (the two use different templates, so the measurement is not of memorised text)."""

from __future__ import annotations

import itertools

# Identity terms as people use them about themselves; slurs are deliberately absent.
IDENTITIES: tuple[str, ...] = (
    "gay",
    "lesbian",
    "bisexual",
    "transgender",
    "trans",
    "queer",
    "straight",
    "Muslim",
    "Jewish",
    "Christian",
    "Catholic",
    "Hindu",
    "Sikh",
    "Buddhist",
    "atheist",
    "Black",
    "white",
    "Asian",
    "Latino",
    "Latina",
    "Hispanic",
    "Arab",
    "Mexican",
    "African",
    "Native American",
    "indigenous",
    "immigrant",
    "refugee",
    "disabled",
    "deaf",
    "blind",
    "old",
    "young",
    "feminist",
)
PEOPLE: tuple[str, ...] = ("man", "woman", "person", "teenager", "grandmother", "father")

# Used only for training (augmentation): neutral statements in the comment-section register.
TRAIN_TEMPLATES: tuple[str, ...] = (
    "My neighbour is a {identity} {person} and she runs the local bakery.",
    "The council elected its first {identity} {person} as mayor last week.",
    "Being {identity} has never stopped me from enjoying this town.",
    "Thanks for covering the {identity} community festival, the photos are lovely.",
    "My {identity} colleague wrote an excellent piece on school funding.",
    "{identity} people were at the town hall meeting to discuss the new road.",
    "Our book club welcomed a {identity} {person} who recommended great novels.",
    "The article quotes a {identity} nurse about hospital staffing.",
)

# Used only for evaluation: first-person and descriptive mentions the service must not hold.
EVAL_TEMPLATES: tuple[str, ...] = (
    "I am a {identity} {person}.",
    "As a {identity} {person}, I agree with this article.",
    "I'm {identity} and I have lived here for twenty years.",
    "My best friend is {identity}.",
    "Being {identity} is part of who I am.",
    "We need more {identity} voices in local politics.",
)


def _render(templates: tuple[str, ...]) -> list[str]:
    sentences = []
    for template, identity, person in itertools.product(templates, IDENTITIES, PEOPLE):
        if "{person}" not in template and person != PEOPLE[0]:
            continue  # templates without a person slot would only repeat themselves
        text = template.format(identity=identity, person=person)
        sentences.append(text[0].upper() + text[1:])
    return sorted(set(sentences))


def training_sentences() -> list[str]:
    return _render(TRAIN_TEMPLATES)


def evaluation_sentences() -> list[str]:
    return _render(EVAL_TEMPLATES)
