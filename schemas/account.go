package schemas

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// UserRole is what an account may do and which tier it reads. It is a
// struct around an unexported name, so that only ParseUserRole (and the
// values below) make one: UserRole("root") does not compile. (Role is the
// code list's role of a person in a case: victim, suspect, ...)
type UserRole struct{ name string }

// The roles of "Accounts and access" in DESIGN.md.
var (
	RoleAdmin      = UserRole{"admin"}      // manages accounts and releases; reads exact counts
	RoleAnalyst    = UserRole{"analyst"}    // ERI: uploads batches; reads exact counts
	RoleViewer     = UserRole{"viewer"}     // a CONATT member: reads the latest conatt release
	RoleResearcher = UserRole{"researcher"} // reads the latest approved public release
)

var userRoles = []UserRole{RoleAdmin, RoleAnalyst, RoleViewer, RoleResearcher}

// ParseUserRole validates a role name.
func ParseUserRole(s string) (UserRole, error) {
	for _, r := range userRoles {
		if r.name == s {
			return r, nil
		}
	}
	return UserRole{}, Invalid("unknown_user_role", "rol desconocido %q; use admin, analyst, viewer o researcher",
		"unknown role %q; use admin, analyst, viewer or researcher", s)
}

func (r UserRole) String() string { return r.name }

// IsZero reports whether r was never set.
func (r UserRole) IsZero() bool { return r.name == "" }

// MarshalText writes the role's name.
func (r UserRole) MarshalText() ([]byte, error) { return []byte(r.name), nil }

// UnmarshalText reads a role's name, refusing unknown ones.
func (r *UserRole) UnmarshalText(b []byte) error {
	v, err := ParseUserRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Tier is the tier the role reads when it asks for none.
func (r UserRole) Tier() Tier {
	switch r {
	case RoleAdmin, RoleAnalyst:
		return TierAdmin
	case RoleViewer:
		return TierConatt
	}
	return TierPublic // researchers, and a zero role: the strictest
}

// strictness orders the tiers: a higher one publishes less.
func (t Tier) strictness() int {
	switch t {
	case TierAdmin:
		return 0
	case TierConatt:
		return 1
	}
	return 2
}

// ReadTier is the tier a role is served when it asks for one ("" for its
// own): a stricter tier may be asked for (an analyst previews the public
// tables), a looser one never.
func (r UserRole) ReadTier(asked Tier) (Tier, error) {
	own := r.Tier()
	if asked == "" {
		return own, nil
	}
	if asked.strictness() < own.strictness() {
		return "", &Error{Code: "tier_forbidden", Kind: ErrForbidden, Msg: Message{
			ES: "el rol " + r.name + " no puede leer el nivel " + string(asked) + "; su nivel es " + string(own),
			EN: "role " + r.name + " may not read tier " + string(asked) + "; its tier is " + string(own)}}
	}
	return asked, nil
}

// User is an account: a person of an institution with one role.
type User struct {
	Name     string
	Role     UserRole
	Entity   Institution // the institution it belongs to (its reporting entity)
	Disabled bool
	Created  time.Time
}

// MarshalJSON writes the entity as its code.
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name     string    `json:"name"`
		Role     UserRole  `json:"role"`
		Entity   string    `json:"entity"`
		Disabled bool      `json:"disabled"`
		Created  time.Time `json:"created_at"`
	}{u.Name, u.Role, u.Entity.String(), u.Disabled, u.Created})
}

// Account policy: the longest user name, and the bounds of a password.
const (
	MaxUserName       = 64
	MinPasswordLength = 12
	MaxPasswordLength = 1024 // hashing is costly: a bound keeps it so
)

// ValidateUserName accepts 1 to 64 lower-case ASCII letters, digits, '.',
// '_' and '-', starting with a letter.
func ValidateUserName(s string) error {
	ok := s != "" && len(s) <= MaxUserName && s[0] >= 'a' && s[0] <= 'z'
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return Invalid("bad_user_name", "nombre de usuario %q no válido: de 1 a 64 letras minúsculas, cifras, '.', '_' o '-', empezando por una letra",
			"user name %q is not valid: 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter", s)
	}
	return nil
}

// ValidatePassword applies the password policy.
func ValidatePassword(p string) error {
	if len([]rune(p)) < MinPasswordLength || len(p) > MaxPasswordLength {
		return Invalid("weak_password", "la contraseña debe tener entre %d y %d caracteres",
			"the password must have %d to %d characters", MinPasswordLength, MaxPasswordLength)
	}
	return nil
}

// ErrBadCredentials is the one answer to a failed login or token, whether
// the account is unknown, disabled, or the secret is wrong: an attacker
// learns nothing about which accounts exist.
var ErrBadCredentials = &Error{Code: "bad_credentials", Kind: ErrUnauthenticated, Msg: Message{
	ES: "usuario o contraseña incorrectos, o cuenta desactivada",
	EN: "wrong user name or password, or account disabled"}}

// UserService manages accounts and checks who is calling. Every change is
// written to the audit log with the Actor of the context.
type UserService interface {
	// AddUser creates an account with a password (see ValidatePassword).
	AddUser(ctx context.Context, u User, password string) (User, error)
	// Users lists the accounts by name.
	Users(ctx context.Context) ([]User, error)
	// UserByName finds an account, disabled or not.
	UserByName(ctx context.Context, name string) (User, error)
	// DisableUser stops an account: its password and tokens no longer work.
	DisableUser(ctx context.Context, name string) error
	// UpdateUser changes an account's role or institution, or enables it
	// again; nil fields stay as they are.
	UpdateUser(ctx context.Context, name string, c UserChange) (User, error)
	// SetPassword replaces an account's password.
	SetPassword(ctx context.Context, name, password string) error
	// Authenticate checks a password; it fails with ErrBadCredentials.
	Authenticate(ctx context.Context, name, password string) (User, error)
	// NewToken makes a bearer token for an account. It is returned once:
	// only its hash is kept.
	NewToken(ctx context.Context, name string) (string, error)
	// UserByToken finds the enabled account of a bearer token; it fails
	// with ErrBadCredentials.
	UserByToken(ctx context.Context, token string) (User, error)
	// Tokens lists an account's bearer tokens (never the tokens themselves).
	Tokens(ctx context.Context, name string) ([]TokenInfo, error)
	// RevokeToken deletes one of an account's tokens by its id.
	RevokeToken(ctx context.Context, name, id string) error
}

// TokenID is the id of a bearer token: the first 12 hex digits of its
// SHA-256 (TokenInfo.ID).
func TokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:6])
}

// LangCookie keeps a browser's language (es or en), chosen with ?lang=:
// the API sets it, the pages read it for visitors who have not signed in.
const LangCookie = "tipdash_lang"

// TokenInfo describes a bearer token without giving it away: its id is the
// start of the token's SHA-256, which the token's holder can compute too.
type TokenInfo struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
}

// UserChange is what UpdateUser changes; nil fields stay.
type UserChange struct {
	Role    *UserRole
	Entity  *Institution
	Enabled *bool // true enables a disabled account; false disables it
}

// Actor is who asks for a change, for the audit log: an account, or the
// local command line as "cli:LOGIN".
type Actor struct {
	User   string
	Entity string // institution code; "" for the command line
	From   string // remote address, or "local"
}

type actorKey struct{}

// WithActor returns a context that carries who is acting.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// AuditAction names what was done. The set grows with the server.
type AuditAction string

// Audited actions.
const (
	ActionLogin        AuditAction = "login"
	ActionUserAdd      AuditAction = "user.add"
	ActionUserDisable  AuditAction = "user.disable"
	ActionUserPassword AuditAction = "user.password"
	ActionUserToken    AuditAction = "user.token"
	ActionUserRevoke   AuditAction = "user.revoke" // a token deleted
	ActionUserUpdate   AuditAction = "user.update" // role, institution, enabled again

	ActionBatchUpload    AuditAction = "batch.upload" // details say dry_run when nothing was stored
	ActionBatchRollback  AuditAction = "batch.rollback"
	ActionReleasePublish AuditAction = "release.publish"
	ActionReleaseApprove AuditAction = "release.approve"
	ActionExport         AuditAction = "export"
	ActionAggregate      AuditAction = "aggregate" // an exact free query
)

var auditActions = []AuditAction{ActionLogin, ActionUserAdd, ActionUserDisable, ActionUserPassword, ActionUserToken, ActionUserRevoke, ActionUserUpdate,
	ActionBatchUpload, ActionBatchRollback, ActionReleasePublish, ActionReleaseApprove, ActionExport, ActionAggregate}

// ParseAuditAction validates an action name.
func ParseAuditAction(s string) (AuditAction, error) {
	for _, a := range auditActions {
		if string(a) == s {
			return a, nil
		}
	}
	return "", Invalid("unknown_audit_action", "acción desconocida %q", "unknown action %q", s)
}

// ResultOK is the result code of an action that succeeded; a failed one
// has its error's code (Error.Code), or "error".
const ResultOK = "ok"

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID      int64       `json:"id"`
	Time    time.Time   `json:"time"`
	User    string      `json:"user"`
	Entity  string      `json:"entity,omitempty"`
	Action  AuditAction `json:"action"`
	Target  string      `json:"target,omitempty"` // what was acted on: an account, a batch, a table
	From    string      `json:"from,omitempty"`
	Result  string      `json:"result"`
	Details string      `json:"details,omitempty"` // never a secret, never personal data
}

// AuditFilter selects audit entries; zero fields select all.
type AuditFilter struct {
	User   string
	Action AuditAction
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	Limit  int       // newest first; 0 for all
}

// AuditService keeps the audit log.
type AuditService interface {
	// Record writes an entry (its ID and, when zero, its Time are set).
	Record(ctx context.Context, e AuditEntry) error
	// AuditLog reads entries, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// Caller is the account a request of the server comes from, as its
// authentication found it: pages and handlers read it from the context.
type Caller struct {
	User User
	// CSRF is the token a form of a browser session must send back as the
	// field "_csrf" (or the header X-CSRF-Token); "" for bearer tokens.
	CSRF string
	// Lang is the language the session chose: "es" (the default) or "en".
	Lang string
}

type callerKey struct{}

// WithCaller returns a context that carries the caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of ctx; false for an anonymous request.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
