"""Images: Pillow checks an upload really is the image its bytes claim, and makes its thumbnail."""
import io
import warnings

from PIL import Image, UnidentifiedImageError

# a decompression bomb: a tiny file that opens as an enormous bitmap. Pillow warns past
# MAX_IMAGE_PIXELS and raises past twice that; here anything past it is refused
MAX_PIXELS = 40_000_000
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


class NotAnImage(ValueError):
    """The bytes do not open as the image they start like (or open too large)."""


def check_image(data, tipo):
    """Raise NotAnImage unless data is a whole image of type tipo within MAX_PIXELS."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # Pillow's own bound, as a refusal
            image = Image.open(io.BytesIO(data), formats=[FORMATS[tipo]])
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise NotAnImage("too many pixels")
            image.verify()
    except NotAnImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError) as error:
        raise NotAnImage(str(error)) from error


def thumbnail(data, tipo, size):
    """A JPEG or PNG thumbnail (bytes, its MIME type) at most size pixels a side; the first frame of an animation.

    Made from the decoded pixels only: no metadata (EXIF, comments, ICC) of the original
    goes into it, and the EXIF orientation is applied so a phone's photo stands upright.
    """
    from PIL import ImageOps

    with Image.open(io.BytesIO(data), formats=[FORMATS[tipo]]) as image:
        image.seek(0)
        image.draft("RGB", (size, size))  # JPEG: decode at a fraction of the size, much faster
        image = ImageOps.exif_transpose(image)
        image.thumbnail((size, size))
        transparent = image.mode in ("RGBA", "LA", "P") and tipo != "image/jpeg"
        image = image.convert("RGBA" if transparent else "RGB")
        out = io.BytesIO()
        if transparent:
            image.save(out, "PNG", optimize=True)
            return out.getvalue(), "image/png"
        image.save(out, "JPEG", quality=82)
        return out.getvalue(), "image/jpeg"


def checked_thumbnail(data, tipo, size):
    """check_image, then thumbnail's bytes: the whole of an image upload's decoding, in one call."""
    check_image(data, tipo)
    return thumbnail(data, tipo, size)[0]
