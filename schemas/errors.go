package schemas

import (
	"errors"
	"fmt"
)

// Sentinel errors. Wrap them with the operation; callers test with errors.Is.
var (
	ErrInvalid  = errors.New("invalid input")
	ErrNotFound = errors.New("not found")
	ErrRefused  = errors.New("refused")
	// ErrUnauthenticated: no valid credentials (HTTP 401).
	ErrUnauthenticated = errors.New("not authenticated")
	// ErrForbidden: valid credentials, but the role may not (HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the state does not allow it now (HTTP 409), such as a
	// database another process holds.
	ErrConflict = errors.New("conflict")
)

// Message is a text for people in both languages of the service.
type Message struct {
	ES string `json:"es"`
	EN string `json:"en"`
}

// Error is an error whose message a person reads: a stable code, the message
// in Spanish and English, and the sentinel it belongs to.
type Error struct {
	Code string
	Msg  Message
	Kind error // one of the sentinels above
}

func (e *Error) Error() string { return e.Msg.ES + " / " + e.Msg.EN }

func (e *Error) Unwrap() error { return e.Kind }

// Invalid builds an *Error of kind ErrInvalid.
func Invalid(code, es, en string, args ...any) *Error {
	return &Error{Code: code, Kind: ErrInvalid, Msg: Message{ES: fmt.Sprintf(es, args...), EN: fmt.Sprintf(en, args...)}}
}

// Refused builds an *Error of kind ErrRefused.
func Refused(code, es, en string, args ...any) *Error {
	return &Error{Code: code, Kind: ErrRefused, Msg: Message{ES: fmt.Sprintf(es, args...), EN: fmt.Sprintf(en, args...)}}
}
