import colorsys

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from regstudio.data import OPS, DataError, Pipeline, augment
from regstudio.resources import resource_path

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    """The four bundled photos at 64x64, uint8 (4, 64, 64, 3)."""
    return np.stack([np.asarray(Image.open(resource_path("photos", p)).convert("RGB")
                                .resize((64, 64), Image.Resampling.BILINEAR)) for p in PHOTOS])


def _pil(batch, fn):
    return np.stack([np.asarray(fn(Image.fromarray(a))) for a in batch])


def _diff(a, b):
    return np.abs(a.astype(int) - b.astype(int))


@pytest.mark.parametrize("factor", [0.0, 0.4, 1.0, 1.6, 2.0])
@pytest.mark.parametrize("op,enhancer", [("brightness", ImageEnhance.Brightness),
                                         ("contrast", ImageEnhance.Contrast),
                                         ("saturation", ImageEnhance.Color)])
def test_colour_ops_match_image_enhance(photos, op, enhancer, factor):
    ours = getattr(augment, op)(photos, factor)
    ref = _pil(photos, lambda im: enhancer(im).enhance(factor))
    assert _diff(ours, ref).max() <= 1  # Pillow truncates where we round


def test_per_image_factors(photos):
    factors = np.array([0.5, 1.0, 1.5, 2.0])
    ours = augment.brightness(photos, factors)
    for i, f in enumerate(factors):
        np.testing.assert_array_equal(ours[i], augment.brightness(photos[i:i + 1], f)[0])
    with pytest.raises(ValueError, match="one value per image"):
        augment.brightness(photos, [1.0, 2.0])


def test_grayscale_invert_flips_match_pillow(photos):
    grey = augment.grayscale(photos)
    ref = _pil(photos, lambda im: im.convert("L"))
    assert _diff(grey[..., 0], ref).max() <= 1
    assert (grey[..., 0] == grey[..., 2]).all()
    np.testing.assert_array_equal(augment.invert(photos), _pil(photos, ImageOps.invert))
    np.testing.assert_array_equal(augment.hflip(photos), _pil(photos, ImageOps.mirror))
    np.testing.assert_array_equal(augment.vflip(photos), _pil(photos, ImageOps.flip))


@pytest.mark.parametrize("degrees", [10.0, -30.0, 45.0, 90.0, 137.0])
def test_rotate_matches_pillow_bilinear(photos, degrees):
    ours = augment.rotate(photos, degrees)
    ref = _pil(photos, lambda im: im.rotate(degrees, resample=Image.Resampling.BILINEAR))
    d = _diff(ours, ref)
    assert d.mean() < 0.6 and d[:, 4:-4, 4:-4].max() <= 2


def test_rotate_direction_fill_and_per_image_angles(photos):
    img = np.zeros((1, 9, 9, 1), np.uint8)
    img[0, 4, 7] = 255  # right of the centre
    turned = augment.rotate(img, 90)  # counter-clockwise: it moves to the top
    assert np.unravel_index(turned[0, ..., 0].argmax(), (9, 9)) == (1, 4)
    filled = augment.rotate(photos, 45, fill=200)
    assert (filled[:, 0, 0] == 200).all()
    angles = np.array([0.0, 20.0, -75.0, 180.0])
    both = augment.rotate(photos, angles)
    for i, a in enumerate(angles):
        np.testing.assert_array_equal(both[i], augment.rotate(photos[i:i + 1], a)[0])
    np.testing.assert_array_equal(both[0], photos[0])


def test_hue_matches_float64_hsv_round_trip(photos):
    small = photos[:, ::4, ::4]
    for shift in (0.1, -0.25, 0.5):
        ours = augment.hue(small, shift).astype(float)
        ref = np.empty(small.shape)
        for idx in np.ndindex(small.shape[:3]):
            h, s, v = colorsys.rgb_to_hsv(*(small[idx] / 255.0))
            ref[idx] = np.array(colorsys.hsv_to_rgb((h + shift) % 1.0, s, v)) * 255
        assert np.abs(ours - ref).max() <= 1.0
    np.testing.assert_array_equal(augment.hue(photos, 0.0), photos)
    np.testing.assert_array_equal(augment.hue(photos, 1.0 / 3)[..., 1], photos[..., 0])  # R -> G


def test_translate_zoom_crop(photos):
    shifted = augment.translate(photos, 0.25, -0.125)  # 16 px right, 8 px up
    np.testing.assert_array_equal(shifted[:, :-8, 16:], photos[:, 8:, :-16])
    assert (shifted[:, :, :16] == 0).all() and (shifted[:, -8:] == 0).all()
    np.testing.assert_array_equal(augment.zoom(photos, 1.0), photos)
    zoomed = augment.zoom(photos, 0.8)
    data = (1.25, 0, -8, 0, 1.25, -8)  # Pillow's inverse map of the same zoom
    ref = _pil(photos, lambda im: im.transform(im.size, Image.Transform.AFFINE, data,
                                               Image.Resampling.BILINEAR))
    assert _diff(zoomed, ref)[:, 8:-8, 8:-8].max() <= 1
    quarter = augment.crop(photos, (0.0, 0.0, 0.5, 0.5))
    ref = _pil(photos, lambda im: im.transform((64, 64), Image.Transform.AFFINE,
                                               (0.5, 0, 0, 0, 0.5, 0), Image.Resampling.BILINEAR))
    assert _diff(quarter, ref).max() <= 1


def test_noise_and_cutout_are_seeded(photos):
    grey = np.full((8, 32, 32, 3), 128, np.uint8)
    a, b = augment.noise(grey, 0.1, rng=1), augment.noise(grey, 0.1, rng=1)
    np.testing.assert_array_equal(a, b)
    assert abs((a.astype(float) - 128).std() - 25.5) < 1.5
    cut = augment.cutout(photos, 0.25, rng=3, fill=7)
    np.testing.assert_array_equal(cut, augment.cutout(photos, 0.25, rng=3, fill=7))
    changed = (cut != photos).any(axis=-1).mean(axis=(1, 2))
    assert ((changed > 0) & (changed <= 0.25 ** 2 + 0.01)).all()
    assert ((cut == 7).all(axis=-1) | (cut == photos).all(axis=-1)).all()


def test_float_images_give_the_uint8_result(photos):
    f = photos.astype(np.float32) / 255
    for fn in (lambda x: augment.saturation(x, 1.7), lambda x: augment.hue(x, 0.2),
               lambda x: augment.rotate(x, 25), augment.invert):
        out = fn(f)
        assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
        assert np.abs(out * 255 - fn(photos)).max() <= 1.01


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_every_op_returns_new_array_and_leaves_input_alone(photos, name, dtype):
    x = photos if dtype == np.uint8 else photos.astype(np.float32) / 255
    before = x.copy()
    params = {k: o.default for k, o in OPS[name].params.items()} | {"p": 1.0}
    out = Pipeline([(name, params)])(x, np.random.default_rng(0))
    assert out is not x and out.shape == x.shape and out.dtype == x.dtype
    np.testing.assert_array_equal(x, before)
    assert OPS[name].title and OPS[name].help.endswith(".")
    assert all(o.help for o in OPS[name].params.values())


def test_pipeline_validation_names_the_key():
    with pytest.raises(DataError, match=r"augmentation\.ops\[1\]\.degrees must be a number from "
                                        r"0 to 180 \(got 400\)"):
        Pipeline.from_config({"ops": [{"op": "hflip"}, {"op": "rotate", "degrees": 400}]})
    with pytest.raises(DataError, match=r"augmentation\.ops\[0\]\.op must be one of hflip, .*hue"):
        Pipeline.from_config({"ops": [{"op": "blur"}]})
    with pytest.raises(DataError, match=r"augmentation\.ops\[0\]\.angle is not a known key"):
        Pipeline.from_config({"ops": [{"op": "rotate", "angle": 3}]})
    with pytest.raises(DataError, match=r"augmentation\.ops\[0\]\.p must be a number from 0 to 1"):
        Pipeline.from_config({"ops": [{"op": "hflip", "p": 2}]})
    with pytest.raises(DataError, match=r"augmentation\.enable is not a known key"):
        Pipeline.from_config({"enable": True})


def test_pipeline_config_round_trip_and_disabled(photos):
    cfg = {"enabled": True, "ops": [{"op": "hflip", "p": 0.5}, {"op": "hue", "shift": 0.1}]}
    pipe = Pipeline.from_config(cfg)
    full = pipe.to_config()
    assert full["ops"][1] == {"op": "hue", "shift": 0.1, "p": 1.0}
    assert Pipeline.from_config(full).to_config() == full
    rng = np.random.default_rng(0)
    assert Pipeline.from_config({**cfg, "enabled": False})(photos, rng) is photos
    assert Pipeline.from_config({"ops": []})(photos, rng) is photos
    assert not Pipeline.from_config(None)


def test_pipeline_applies_ops_to_random_subsets_across_chunks():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, (300, 32, 32, 3), dtype=np.uint8)  # several chunks
    before = x.copy()
    out = Pipeline.from_config({"ops": [{"op": "hflip", "p": 0.5}]})(x, np.random.default_rng(1))
    np.testing.assert_array_equal(x, before)
    same = (out == x).all(axis=(1, 2, 3))
    flipped = (out == x[:, :, ::-1]).all(axis=(1, 2, 3))
    assert (same | flipped).all() and 100 < flipped.sum() < 200
    again = Pipeline.from_config({"ops": [{"op": "hflip", "p": 0.5}]})(x, np.random.default_rng(1))
    np.testing.assert_array_equal(out, again)


def test_pipeline_equals_the_functions_in_sequence(photos):
    cfg = {"ops": [{"op": "hflip", "p": 1.0}, {"op": "saturation", "factor": 0.0},
                   {"op": "rotate", "degrees": 0.0}, {"op": "invert", "p": 1.0}]}
    out = Pipeline.from_config(cfg)(photos, np.random.default_rng(0))
    ref = augment.invert(augment.saturation(augment.hflip(photos), 1.0))
    np.testing.assert_array_equal(out, ref)


def test_random_resized_crop_keeps_at_least_its_area():
    from regstudio.data.augment import _crop_box

    rng = np.random.default_rng(0)
    for area in (0.5, 0.9, 1.0):
        box = _crop_box(2000, {"area": area}, rng, (32, 32))
        kept = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
        assert kept.min() >= area - 1e-9 and kept.max() <= 1 + 1e-9
        assert (box[:, :2] >= 0).all() and (box[:, 2:] <= 1 + 1e-9).all()
    assert np.allclose(box, [0, 0, 1, 1])  # area 1: the whole image
