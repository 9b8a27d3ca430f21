package schemas

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestUserRoles(t *testing.T) {
	for _, tc := range []struct {
		name string
		tier Tier
	}{{"admin", TierAdmin}, {"analyst", TierAdmin}, {"viewer", TierConatt}, {"researcher", TierPublic}} {
		r, err := ParseUserRole(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != tc.name || r.Tier() != tc.tier {
			t.Errorf("%s: String %q, Tier %q; want tier %q", tc.name, r, r.Tier(), tc.tier)
		}
	}
	for _, bad := range []string{"", "Admin", "root", "admin "} {
		if _, err := ParseUserRole(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseUserRole(%q) = %v, want invalid", bad, err)
		}
	}
	var r UserRole
	if err := json.Unmarshal([]byte(`"root"`), &r); err == nil {
		t.Error("JSON role root accepted")
	}
	if b, _ := json.Marshal(RoleViewer); string(b) != `"viewer"` {
		t.Errorf("JSON of viewer: %s", b)
	}
}

// TestReadTier: a stricter tier may be asked for, a looser one never.
func TestReadTier(t *testing.T) {
	all := []Tier{"", TierAdmin, TierConatt, TierPublic}
	want := map[UserRole][]Tier{ // what each asked tier gives; "" = refused
		RoleAdmin:      {TierAdmin, TierAdmin, TierConatt, TierPublic},
		RoleAnalyst:    {TierAdmin, TierAdmin, TierConatt, TierPublic},
		RoleViewer:     {TierConatt, "", TierConatt, TierPublic},
		RoleResearcher: {TierPublic, "", "", TierPublic},
		{}:             {TierPublic, "", "", TierPublic},
	}
	for role, tiers := range want {
		for i, asked := range all {
			got, err := role.ReadTier(asked)
			if tiers[i] == "" {
				if !errors.Is(err, ErrForbidden) {
					t.Errorf("%q asking %q: %q, %v; want forbidden", role, asked, got, err)
				}
				continue
			}
			if err != nil || got != tiers[i] {
				t.Errorf("%q asking %q: %q, %v; want %q", role, asked, got, err, tiers[i])
			}
		}
	}
}

func TestValidateUserName(t *testing.T) {
	for _, ok := range []string{"ana", "m.rojas", "eri_02", "a-b"} {
		if err := ValidateUserName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Ana", "2ana", "ana rojas", "ana@oij", "añа", string(make([]byte, 65))} {
		if err := ValidateUserName(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q accepted", bad)
		}
	}
}
