import numpy as np
import pytest

from vidcap.analysis.perception.objects import COCO, describe_objects, detect_objects


def _names(image):
    return {COCO[int(c)] for c, score, *_ in detect_objects(image) if score >= 0.5}


def test_the_detector_finds_coco_objects_in_real_photographs():
    """scikit-image's photographs: an astronaut, a cup of coffee. (Its cat, Chelsea, reads as
    a dog: animals need a higher score in a shot, see ANIMAL_SCORE.)"""
    import skimage.data

    assert "person" in _names(skimage.data.astronaut()[:, :, ::-1].copy())
    assert "cup" in _names(skimage.data.coffee()[:, :, ::-1].copy())


def test_boxes_are_fractions_of_the_frame_and_wide_frames_are_tiled():
    import skimage.data

    cup = skimage.data.coffee()[:, :, ::-1]
    wide = np.zeros((cup.shape[0], cup.shape[1] * 3, 3), np.uint8)
    wide[:, -cup.shape[1]:] = cup  # a cup at the right edge of a 3:1 frame
    rows = detect_objects(wide)
    best = rows[0]
    assert COCO[int(best[0])] == "cup" and best[2] > 0.6 and best[2] + best[4] <= 1.0 + 1e-3
    assert ((rows[:, 2:] >= -1e-3) & (rows[:, 2:] <= 1 + 1e-3)).all()


def look(*rows):
    return np.array(rows, np.float32).reshape(-1, 6)


CAR = [2, 0.7, 0.1, 0.4, 0.2, 0.2]
BALL = [32, 0.6, 0.4, 0.8, 0.03, 0.03]  # vtest's yellow speck on the lawn
BIRD = [14, 0.6, 0.3, 0.3, 0.3, 0.4]


@pytest.mark.parametrize("looks, names", [
    ([look(CAR), look(CAR), look(), look()], ["car"]),  # in half the looks
    ([look(CAR), look(), look(), look()], []),  # in one look of four: not enough
    ([look(BALL)] * 4, []),  # too small to trust
    ([look(BIRD)] * 4, []),  # animals need more than 0.6
    ([look([56, 0.55, 0.4, 0.4, 0.3, 0.3]), look()], []),  # one look of two: 0.6 at least
    ([look([56, 0.45, 0.4, 0.4, 0.3, 0.3], [56, 0.42, 0.7, 0.4, 0.3, 0.3])] * 2, ["chair"]),  # every look agrees
    ([look([56, 0.45, 0.4, 0.4, 0.3, 0.3])] * 2, []),  # ...on one thing: the same misreading each time?
    ([look([66, 0.43, 0.5, 0.6, 0.3, 0.2])] * 10, []),  # the flies' mesh floor, a keyboard in every look
    ([look(*[[73, 0.45, 0.05 * k, 0.1, 0.04, 0.2] for k in range(16)])] * 6, ["book"]),  # jwpIntro's shelf
    ([look([2, 0.45, 0.4, 0.4, 0.3, 0.3])] * 3, ["car"]),  # one blurred car in every look
    ([look([14, 0.55, 0.4, 0.4, 0.3, 0.3])] * 3, []),  # ...but not for animals
    ([look(CAR, CAR, [2, 0.45, 0.6, 0.4, 0.2, 0.2])] * 3, ["car"]),
    ([look([10, 0.58, 0.4, 0.4, 0.1, 0.3])] * 4, []),  # a fire hydrant at bikes' bollard's score
    ([look([10, 0.75, 0.4, 0.4, 0.1, 0.3])] * 4, ["fire hydrant"]),
    ([look([33, 0.45, 0.4, 0.1, 0.2, 0.2])] * 3, []),  # every look agreeing is not enough for a kite
    ([look([55, 0.62, 0.3, 0.1, 0.4, 0.57])] * 16, []),  # box's printed box, a cake in the 720p bench film
    ([look([67, 0.53, 0.4, 0.2, 0.2, 0.54])] * 9, []),  # cup's black bottle in a hand, a phone there
    ([look([67, 0.8, 0.4, 0.2, 0.2, 0.3])] * 3, ["cell phone"]),
    ([look([62, 0.51, 0.1, 0.4, 0.8, 0.6])] * 4, []),  # balle-jbart's black board, a television
])
def test_a_shot_names_what_most_of_its_looks_see(looks, names):
    assert [o["name"] for o in describe_objects(looks)] == names


def test_a_copied_look_is_no_second_opinion():
    """The diagram of the planets: one look at two "sports balls" at 0.49, copied onto the next
    still frames. Looks of their own that all see them name them; copies of one look do not."""
    balls = look([32, 0.49, 0.6, 0.4, 0.09, 0.09], [32, 0.45, 0.1, 0.2, 0.05, 0.05])
    assert [o["name"] for o in describe_objects([balls] * 3)] == ["sports ball"]
    assert describe_objects([balls] * 3, [False, True, True]) == []


def test_counts_and_places():
    found = describe_objects([look(CAR, [2, 0.6, 0.7, 0.4, 0.2, 0.2])] * 3)
    assert found == [{"name": "car", "count": 2, "score": 0.7, "where": "left", "height": 0.2, "moving": False,
                      "looks": 3}]


def test_things_that_move_from_look_to_look():
    from vidcap.analysis.perception.objects import moving

    def walker(x):
        return look([0, 0.8, x, 0.4, 0.05, 0.15])

    assert moving([walker(0.1), walker(0.16), walker(0.22)])  # 0.06 a look: 40 % of its height
    assert not moving([walker(0.1), walker(0.105), walker(0.1)])  # jitter
    assert not moving([walker(0.1), look(), walker(0.3)])  # no two looks in a row


def test_a_moving_arm_is_not_someone_walking():
    """cup.mp4 in the bench film: a hand turning a bottle, its box most of the frame, was "a person walking"."""
    from vidcap.analysis.perception.people import add_bodies

    walker = {"name": "person", "count": 1, "where": "centre", "moving": True, "height": 0.2}
    assert add_bodies({"count": 0}, walker, static=True)["action"] == "walking"
    assert "action" not in add_bodies({"count": 0}, {**walker, "height": 0.8}, static=True)
    assert "action" not in add_bodies({"count": 0}, walker, static=False)


def test_an_object_across_the_tiles_seam_is_one_box():
    """Wide frames are read as two tiles (0-60 % and 40-100 %): an object across the middle is cut
    by both inner edges, and its two parts overlap too little to be suppressed as one."""
    from vidcap.analysis.perception.objects import _join_at_seam

    left = np.array([[0, 0.5, 250, 2, 384, 360], [0, 0.7, 10, 50, 90, 300]], np.float32)  # cut at 384; whole
    right = np.array([[0, 0.9, 256, 3, 640, 359], [2, 0.6, 256, 100, 300, 140]], np.float32)  # cut at 256; a car
    joined = _join_at_seam(left, right, right_starts=256, left_ends=384, margin=12.8)
    assert joined.tolist()[0] == [0, pytest.approx(0.9), 250, 2, 640, 360]
    assert len(joined) == 3  # the whole person on the left and the car stay as they were
    above = np.array([[0, 0.5, 250, 2, 384, 150]], np.float32)
    below = np.array([[0, 0.9, 256, 200, 640, 359]], np.float32)  # the same class at the seam, not level with it
    assert len(_join_at_seam(above, below, 256, 384, 12.8)) == 2
    assert len(_join_at_seam(left[:1], below, 256, 384, 12.8)) == 1
