"""Generation apps on diffusers with fal's input and output shapes, serving installed
weights under fal endpoint ids (``impasto models alias``)."""
