"""Where assets come from: uploads and the inputs and outputs of runs."""
