"""Files in and out: YAML with line numbers, atomic writes, and the manifest, node and calibration inputs."""
