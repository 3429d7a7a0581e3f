// The website widget's loader (GET /widget.js): the snippet a website pastes loads it.
// Placeholder: the widget-page branch writes the launcher and the iframe here (docs/protocol.md, "El widget").
