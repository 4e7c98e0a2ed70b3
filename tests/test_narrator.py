from vidcap.analysis.facts import ShotFacts
from vidcap.narration.narrator import RulesNarrator


def facts(**kw) -> ShotFacts:
    f = ShotFacts()
    for key, value in kw.items():
        setattr(f, key, value)
    return f


FACE = dict(people={"count": 1, "framing": "close-up", "confidence": 0.9},
            concepts=[{"name": "a person in a suit", "kind": "person", "score": 0.9}])
MEADOW = dict(concepts=[{"name": "an animal", "kind": "animal", "score": 0.6}],
              setting={"where": "outdoors", "place": "a meadow"})
STREET = dict(concepts=[{"name": "a car", "kind": "vehicle", "score": 0.7}],
              setting={"where": "outdoors", "place": "a street"})


def narrate(*shots):
    return RulesNarrator().narrate(list(shots))


def test_general_to_specific_plain_words():
    assert narrate(facts(**MEADOW)) == [["An animal in a meadow."]]
    assert narrate(facts(**FACE)) == [["A close-up of a person in a suit."]]


def test_says_nothing_when_unsure():
    assert narrate(facts()) == [[]]


def test_back_to_an_earlier_shot():
    again = facts(**FACE, like_shot=0, likeness=0.95)
    said = narrate(facts(**FACE), facts(**MEADOW), again)
    assert said[2] == ["Back to the close-up of a person in a suit."]


def test_a_new_scene_is_announced():
    said = narrate(facts(**MEADOW), facts(**STREET))
    assert said[1] == ["A new scene: a car in a street."]


def test_unchanged_shots_say_the_same_so_their_cues_merge():
    said = narrate(facts(**STREET), facts(**STREET))
    assert said[0] == said[1]


def test_text_camera_and_technical_segments():
    title = facts(text=[{"text": "THE LONG NIGHT", "kind": "title", "score": 0.99, "box": [0.2, 0.4, 0.6, 0.1]}])
    assert narrate(title) == [['Title: "THE LONG NIGHT"']]
    sign = facts(**STREET, text=[{"text": "OPEN", "kind": "sign", "score": 0.9, "box": [0, 0, 0.1, 0.1]}],
                 camera={"camera": "pan left", "confidence": 0.9})
    assert narrate(sign) == [["A car in a street.", 'On screen: "OPEN".', "The camera pans left."]]
    assert narrate(facts(segments=["black"])) == [["A black screen."]]
    assert narrate(facts(segments=["colour bars"])) == [["Colour bars."]]


def test_a_line_of_text_does_not_hide_what_moves():
    """minions: its web address, once read, took the place of "Something moves through the frame."."""
    address = {"text": "/unverbesserlich.DE", "kind": "caption", "score": 0.98, "box": [0.38, 0.91, 0.24, 0.06]}
    moving = facts(text=[address], camera={"camera": "static", "confidence": 0.9, "subject_moving": True})
    assert narrate(moving) == [['A caption reads "/unverbesserlich.DE".', "Something moves through the frame."]]
    assert narrate(facts(**STREET, camera=moving.camera, text=[address]))[0][-1] != "Something moves through the frame."


def test_a_later_part_of_a_take_does_not_quote_again_what_the_part_before_quoted():
    line = lambda text, kind: {"text": text, "kind": kind, "score": 0.98, "box": [0.3, 0.9, 0.4, 0.05]}
    first = facts(**STREET, text=[line("PERSON", "caption")])
    later = facts(**STREET, text=[line("PERSON", "caption"), line("THE END", "title")], continues=True)
    said = narrate(first, later)
    assert said[0] == ["A car in a street.", 'A caption reads "PERSON".']
    assert said[1] == ['Title: "THE END"']  # the caption, quoted in the part before, is not quoted again
    after_a_cut = facts(**STREET, text=[line("PERSON", "caption")])  # a new shot says it again
    assert 'A caption reads "PERSON".' in narrate(first, after_a_cut)[1]


def test_dark_outdoor_shot_is_night():
    dark_street = dict(STREET, setting={**STREET["setting"], "time_of_day": "night"})  # as describe_setting gives it
    assert narrate(facts(**dark_street, lighting="dark")) == [["A car in a street, at night."]]


def test_a_long_take_says_what_changes():
    walkers = dict(people={"count": 2, "framing": "group", "action": "walking"})
    more = dict(people={"count": 5, "framing": "group", "action": "walking"})
    said = narrate(facts(**walkers), facts(**walkers, continues=True), facts(**more, continues=True))
    assert said == [["Two people walking."], [], ["Now several people walking."]]


def test_a_long_take_is_not_described_again_after_a_part_with_nothing_to_say():
    """A film read at one frame in 20 s has parts of a take with no sampled frame: the part
    after one is the same take, not something new to repeat ("Mostly blue." every 20 s)."""
    walkers = dict(people={"count": 2, "framing": "group", "action": "walking"})
    said = narrate(facts(**walkers), facts(continues=True), facts(**walkers, continues=True),
                   facts(**walkers))
    assert said == [["Two people walking."], [], [], ["Two people walking."]]


def test_a_title_card_says_how_it_looks_where_measured():
    line = {"text": "THANKS FOR WATCHING", "kind": "title", "score": 0.96, "box": [0.3, 0.43, 0.5, 0.05]}
    card = facts(text=[{**line, "colour": "yellow"}], colours={"frame": ["blue"], "backdrop": "blue"}, brightness=58)
    assert narrate(card) == [['Title in yellow on a dark blue background: "THANKS FOR WATCHING"']]
    assert {"yellow", "dark", "blue", "background"} <= card.words()
    over_a_picture = facts(text=[{**line, "colour": None}], colours={"frame": ["green"]}, brightness=120)
    assert narrate(over_a_picture) == [['Title: "THANKS FOR WATCHING"']]


def test_something_before_a_backdrop_is_said_in_its_colours():
    """A toy robot on a table top, nothing of it named: its colours against the backdrop's, rather
    than the frame's main colour alone ("A still view, mostly orange")."""
    robot = facts(colours={"frame": ["orange"], "centre": ["orange"], "backdrop": "orange", "subject": ["red", "yellow"]},
                  camera={"camera": "static"}, brightness=100)
    assert narrate(robot) == [["A still view of something red and yellow against an orange background."]]
    assert {"something", "red", "yellow", "orange", "background"} <= robot.words()
    no_subject = facts(colours={"frame": ["orange"], "backdrop": "orange", "subject": []}, camera={"camera": "static"})
    assert narrate(no_subject) == [["A still view, mostly orange."]]


def test_black_and_white_is_said_once_where_the_colour_goes():
    """A 1906 race film in greys: said at its first shot, not again at each of the next; a card of
    white letters on black is no black-and-white picture."""
    grey = {"frame": ["grey"], "monochrome": True}
    film = [facts(colours=grey, camera={"camera": "static"}), facts(colours=grey, **STREET)]
    assert narrate(*film) == [["A still view, mostly grey.", "In black and white."], ["A car in a street."]]
    assert {"black", "white"} <= film[0].words()
    card = facts(colours={"frame": ["black"], "monochrome": True}, brightness=20,
                 text=[{"text": "Made with", "kind": "title", "score": 0.9, "box": [0.4, 0.45, 0.2, 0.05]}])
    assert narrate(card) == [['Title: "Made with"']]


def test_a_camera_thrown_about_is_said_to_move_about():
    shaky = facts(camera={"camera": "move about", "confidence": 0.9}, setting={"where": "outdoors", "place": "water"})
    assert narrate(shaky) == [["Water.", "The camera moves about."]]
    assert {"camera", "move"} <= shaky.words()


def test_a_backdrop_takes_its_article():
    """ "on a orange background" was said of the trailer's sepia close-up."""
    from vidcap.analysis.facts import ShotFacts
    from vidcap.narration.narrator import title_style

    facts = ShotFacts(text=[{"text": "Revenge", "kind": "title", "colour": None}], brightness=150.0)
    facts.colours = {"backdrop": "orange"}
    assert title_style(facts) == "on an orange background"


def test_a_silent_model_leaves_the_teacher_to_speak(real, monkeypatch):
    """The LSTM gave 4 of the 20 dev clips an empty file; then the rules narrator speaks instead."""
    from vidcap.narration.narrator import get_narrator
    from vidcap.pipeline import Options, describe_video

    lstm = get_narrator("lstm")
    monkeypatch.setattr(lstm, "narrate_inputs", lambda inputs, texts, *rest: [[] for _ in texts])
    silent = describe_video(real["bikes"], Options(), narrator=lstm)
    rules = describe_video(real["bikes"], Options(narrator="rules"))
    assert silent.cues and [c.text for c in silent.cues] == [c.text for c in rules.cues]


def test_a_smile_or_a_hand_in_a_long_take_is_an_event_and_its_end_says_nothing():
    face = {"count": 1, "framing": "close-up", "confidence": 1.0, "facing": True}
    smiling = {**face, "smiling": True}
    hand = {**face, "hands": {"count": 1, "at_face": True, "alone": False}}
    said = narrate(facts(people=face), facts(people=smiling, continues=True), facts(people=face, continues=True),
                   facts(people=hand, continues=True))
    assert said == [["A close-up of a person facing the camera."], ["The person smiles."], [],
                    ["The person raises a hand to the face."]]


def test_a_short_shot_is_told_with_less_detail_rather_than_lost():
    """A 2.4 s close-up before a title card: its whole sentence needs 3.8 s to read, and was
    lost to the title's cue."""
    from types import SimpleNamespace

    grin = facts(people={"count": 1, "framing": "close-up", "confidence": 1.0, "facing": True, "smiling": True,
                         "clothes": "black"})
    title = facts(text=[{"text": "Caminandes", "kind": "title", "colour": None}])
    full = "A close-up of a smiling person in a black top facing the camera."
    assert narrate(grin)[0] == [full]
    film = SimpleNamespace(info=SimpleNamespace(fps=25.0),
                           shots=[SimpleNamespace(start=0.0, end=2.4), SimpleNamespace(start=2.4, end=6.4)])
    said = RulesNarrator().narrate([grin, title], film)[0][0]
    assert said == "A close-up of a smiling person in a black top."
    assert len(said) / 17.0 <= 2.4 + 12 / 25.0


def test_where_and_in_what_light_is_said_once_for_the_shots_that_share_it():
    """Megamind: three shots at one candlelit table were each "Indoors, ..., in the dark."."""
    room = dict(setting={"where": "indoors"}, lighting="dark")
    two = facts(people={"count": 2, "framing": "group", "confidence": 1.0}, **room)
    face = facts(people={"count": 1, "framing": "close-up", "confidence": 1.0, "facing": True}, **room)
    street = facts(concepts=[{"name": "a car", "kind": "vehicle", "score": 0.7}],
                   setting={"where": "outdoors", "place": "a street"})
    said = narrate(two, face, street, face)
    assert said == [["Indoors, two people, in the dark."], ["A close-up of a person facing the camera."],
                    ["A car in a street."], ["Indoors, a close-up of a person facing the camera, in the dark."]]


def test_small_shapes_are_told_where_nothing_else_is_named():
    eight = dict(shapes={"count": 8, "tone": "dark", "number": "eight"}, colours={"frame": ["grey"]},
                 camera={"camera": "static", "confidence": 0.9, "subject_moving": True})
    assert narrate(facts(**eight)) == [["Eight small dark shapes moving on a grey background."]]
    animal = [{"name": "an animal", "kind": "animal", "score": 0.6}]
    assert narrate(facts(**eight, concepts=animal)) == [["Eight small animals moving on a grey background."]]
    assert narrate(facts(**eight, lighting="dark")) == [["Eight small dark shapes moving, in the dark."]]
    car = [{"name": "a car", "kind": "vehicle", "score": 0.7}]
    assert narrate(facts(**eight, concepts=car)) == [["A car."]]  # named things are said, not shapes
    titled = narrate(facts(**eight, text=[{"text": "HELLO", "kind": "title", "colour": None}]))
    assert titled == [['Title: "HELLO"']]  # a card's letters are no shapes


def test_a_title_over_part_of_a_shot_leaves_the_picture_described_too():
    """A title on the first of ten seconds (a physics film's slate): the picture is described too;
    a title on screen through the shot is all that is read out."""
    line = {"text": "LYCEE JEAN BART -- 2016", "kind": "title", "score": 0.93, "colour": "red"}
    person = {"count": 1, "framing": "person", "confidence": 1.0}
    assert narrate(facts(text=[line], text_share=0.1, people=person)) == \
        [['Title in red: "LYCEE JEAN BART -- 2016"', "A person."]]
    assert narrate(facts(text=[line], text_share=0.9, people=person)) == [['Title in red: "LYCEE JEAN BART -- 2016"']]


def test_a_face_that_talks_is_said_to_talk():
    face = {"count": 1, "framing": "close-up", "confidence": 1.0, "facing": True}
    talking = {**face, "talking": True}
    assert narrate(facts(people=talking)) == [["A close-up of a person talking, facing the camera."]]
    assert {"talking", "facing", "camera"} <= facts(people=talking).words()
    assert narrate(facts(people={**talking, "facing": False})) == [["A close-up of a person talking."]]
    said = narrate(facts(people=face), facts(people=talking, continues=True))
    assert said == [["A close-up of a person facing the camera."], ["The person talks."]]


def test_a_sentence_too_long_for_a_cue_is_told_with_less_detail_not_cut_short():
    """Two lines of 42 characters: 86 characters lost their last word to an ellipsis ("several…")."""
    talker = facts(people={"count": 1, "framing": "close-up", "confidence": 1.0, "facing": True, "talking": True,
                           "clothes": "red"}, setting={"where": "indoors"},
                   objects=[{"name": "book", "count": 5, "score": 0.6}])
    assert narrate(talker) == [["Indoors, a close-up of a person in a red top talking and several books."]]


def test_glasses_are_worn_with_the_clothes_or_the_suit():
    spectacled = {"count": 1, "framing": "close-up", "confidence": 1.0, "facing": True, "glasses": True}
    assert narrate(facts(people=spectacled)) == [["A close-up of a person in glasses facing the camera."]]
    assert narrate(facts(people={**spectacled, "clothes": "blue"})) == \
        [["A close-up of a person in glasses and a blue top facing the camera."]]
    assert narrate(facts(**{**FACE, "people": {**FACE["people"], "glasses": True}})) == \
        [["A close-up of a person in a suit and glasses."]]
    assert "glasse" in facts(people=spectacled).words()  # content_words: "glasses" less its plural s


def test_what_is_seen_beside_a_person_facing_the_camera_is_set_apart_by_a_comma():
    """testMovie: "... talking, facing the camera and several books." read as facing the books."""
    talker = facts(people={"count": 1, "framing": "close-up", "confidence": 1.0, "facing": True, "talking": True},
                   objects=[{"name": "book", "count": 5, "score": 0.6}])
    assert narrate(talker) == [["A close-up of a person talking, facing the camera, and several books."]]
    silent = facts(people={**talker.people, "talking": False}, objects=talker.objects)
    assert narrate(silent) == [["A close-up of a person facing the camera, and several books."]]


def test_a_long_take_whose_colours_only_swap_places_says_nothing_new():
    """tree.avi: "... mostly green, white and grey." then, 20 s on in the same take, "... mostly green, grey and white."."""
    view = dict(camera={"camera": "static"}, setting={"where": "unknown"})
    first = facts(colours={"frame": ["green", "white", "grey"]}, **view)
    later = facts(colours={"frame": ["green", "grey", "white"]}, continues=True, **view)
    assert narrate(first, later) == [["A still view, mostly green, white and grey."], []]
    other = narrate(first, facts(colours={"frame": ["green", "grey", "white"]}, **view))  # a cut: as measured
    assert other[1] == ["A still view, mostly green, grey and white."]
    mixed = narrate(facts(colours={"mixed": ["blue", "red", "black"]}, **view),
                    facts(colours={"mixed": ["red", "blue", "black"]}, continues=True, **view))
    assert mixed == [["A still view in blue, red and black."], []]  # likewise where no colour holds a quarter


def test_a_camera_move_still_going_in_the_same_take_is_told_once():
    """trailer_bbb: "The camera tilts down." over the clouds, then, the title come on mid-tilt,
    'Title: "The Blender Foundation Peach Project". The camera tilts down.'"""
    tilt = {"camera": "tilt down", "confidence": 1.0}
    title = [{"text": "Peach Project", "kind": "title", "colour": None}]
    said = narrate(facts(camera=tilt, colours={"frame": ["blue"]}),
                   facts(camera=tilt, text=title, text_share=1.0, continues=True),
                   facts(camera=tilt, colours={"frame": ["green"]}, continues=True))
    assert said == [["The camera tilts down."], ['Title: "Peach Project"'], []]
    cut = narrate(facts(camera=tilt), facts(camera=tilt, text=title, text_share=1.0))
    assert cut[1] == ['Title: "Peach Project"', "The camera tilts down."]  # a new shot, a new move
