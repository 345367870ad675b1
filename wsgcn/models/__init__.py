"""Network definitions: backbones and the CAM classifier."""
