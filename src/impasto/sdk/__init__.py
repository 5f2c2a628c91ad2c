"""What an app author imports to package a model as an Impasto app.

```python
from pydantic import BaseModel
from impasto.sdk import App, Image, endpoint, log

class In(BaseModel):
    prompt: str

class Out(BaseModel):
    image: Image

class MyApp(App, name="my-app", keep_alive=300, max_multiplexing=2):
    def setup(self) -> None:
        self.pipe = load_weights()

    @endpoint("/")
    def run(self, inp: In) -> Out:
        log("generating")
        return Out(image=Image.from_pil(self.pipe(inp.prompt)))
```
"""

from impasto.sdk.app import App, AppSettings
from impasto.sdk.context import (
    RecordingSink,
    RequestContext,
    current_request,
    log,
    progress,
    set_billable_units,
)
from impasto.sdk.data_uri import decode_data_uri, encode_data_uri
from impasto.sdk.endpoint import EndpointSpec, NoInput, endpoint
from impasto.sdk.errors import AppException, FetchError, FieldException, RequestCancelled
from impasto.sdk.files import (
    IMAGE_SIZE_PRESETS,
    Audio,
    File,
    Image,
    ImageSize,
    ImageSizePreset,
    Video,
    get_image_size,
)
from impasto.sdk.introspect import AppManifest, EndpointInfo, describe, load_app
from impasto.sdk.naming import endpoint_id, kebab_case
from impasto.sdk.openapi import openapi

__all__ = [
    "IMAGE_SIZE_PRESETS",
    "App",
    "AppException",
    "AppManifest",
    "AppSettings",
    "Audio",
    "EndpointInfo",
    "EndpointSpec",
    "FetchError",
    "FieldException",
    "File",
    "Image",
    "ImageSize",
    "ImageSizePreset",
    "NoInput",
    "RecordingSink",
    "RequestCancelled",
    "RequestContext",
    "Video",
    "current_request",
    "decode_data_uri",
    "describe",
    "encode_data_uri",
    "endpoint",
    "endpoint_id",
    "get_image_size",
    "kebab_case",
    "load_app",
    "log",
    "openapi",
    "progress",
    "set_billable_units",
]
