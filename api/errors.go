package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/conatt/tipdash/schemas"
)

// errorBody is the one shape of every error the API answers.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		MessageES string `json:"message_es"`
		MessageEN string `json:"message_en"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// statusOf maps the error vocabulary of schemas to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, schemas.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, schemas.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, schemas.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, schemas.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, schemas.ErrRefused):
		return http.StatusUnprocessableEntity
	case errors.Is(err, schemas.ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Errors met outside the services, in both languages.
var (
	errTooLarge = &schemas.Error{Code: "too_large", Kind: schemas.ErrInvalid, Msg: schemas.Message{
		ES: "el archivo o la petición es demasiado grande", EN: "the file or request is too large"}}
	errNoRoute = &schemas.Error{Code: "not_found", Kind: schemas.ErrNotFound, Msg: schemas.Message{
		ES: "no existe esa dirección", EN: "no such address"}}
	errMethod = &schemas.Error{Code: "method_not_allowed", Kind: schemas.ErrInvalid, Msg: schemas.Message{
		ES: "método no permitido en esta dirección", EN: "method not allowed on this address"}}
	errTooMany = &schemas.Error{Code: "rate_limited", Kind: schemas.ErrRefused, Msg: schemas.Message{
		ES: "demasiados intentos: espere un minuto", EN: "too many attempts: wait a minute"}}
	errCSRF = &schemas.Error{Code: "csrf", Kind: schemas.ErrForbidden, Msg: schemas.Message{
		ES: "falta el código del formulario o no es válido: recargue la página", EN: "the form's token is missing or wrong: reload the page"}}
	errInternal = &schemas.Error{Code: "internal", Msg: schemas.Message{
		ES: "error interno: se registró con el número de la petición", EN: "internal error: it was logged with the request's number"}}
)

// handleError writes err in the one error shape. Internal errors are
// logged once, with the request id the caller sees; their text is never
// sent.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := statusOf(err)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			err, status = errNoRoute, http.StatusNotFound
		case http.StatusMethodNotAllowed:
			err, status = errMethod, http.StatusMethodNotAllowed
		case http.StatusRequestEntityTooLarge:
			err, status = errTooLarge, http.StatusRequestEntityTooLarge
		case http.StatusUnauthorized:
			err, status = schemas.ErrBadCredentials, http.StatusUnauthorized
		default:
			if he.Code < 500 {
				err, status = schemas.Invalid("bad_request", "petición no válida", "bad request"), he.Code
			}
		}
	}
	if errors.Is(err, errTooMany) {
		status = http.StatusTooManyRequests
	}
	if errors.Is(err, errTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	var body errorBody
	body.Error.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	var se *schemas.Error
	if status >= 500 || !errors.As(err, &se) {
		s.log.Error("request failed", slog.String("request_id", body.Error.RequestID), slog.String("method", c.Request().Method),
			slog.String("route", c.Path()), slog.Any("error", err))
		status, se = http.StatusInternalServerError, errInternal
	}
	body.Error.Code, body.Error.MessageES, body.Error.MessageEN = se.Code, se.Msg.ES, se.Msg.EN
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, body)
}
