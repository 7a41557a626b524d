package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// languages are the console's languages, the first being the default.
var languages = []string{"en", "it"}

// lang picks the request's language: the remembered choice, else Accept-Language, else English.
func (c *Console) lang(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil && slices.Contains(languages, ck.Value) {
		return ck.Value
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// fromAcceptLanguage returns the supported language the header prefers most.
func fromAcceptLanguage(h string) string {
	best, bestQ := languages[0], -1.0
	for i, part := range strings.Split(h, ",") {
		if i > 20 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if !slices.Contains(languages, base) {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// translate looks key up in lang, falling back to English and then to the key itself, and
// formats args into it.
func translate(lang, key string, args ...any) string {
	s, ok := messages[lang][key]
	if !ok {
		s, ok = messages["en"][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func hasKey(key string) bool {
	_, ok := messages["en"][key]
	return ok
}

// messages holds every string of the console, by language and key.
var messages = map[string]map[string]string{
	"en": {
		"nav.staff": "Staff", "title.staff": "Staff", "staff.title": "Staff accounts",
		"staff.password.title": "One-time password for %s", "staff.password.once": "Give it to them now: it is shown only once. They can change it under Password.",
		"staff.you": "you", "staff.locked": "locked", "staff.edit": "Change %s", "staff.reset": "New one-time password",
		"staff.resetconfirm": "Give %s a new password? Their old one stops working and they are logged out.",
		"staff.add":          "New account", "staff.namehint": "Letters, digits, '.', '_' and '-'.", "staff.addsubmit": "Create account",
		"staff.role": "Role", "staff.wards": "Wards (a nurse sees only these)", "action.update-staff": "changed an account",
		"err.role": "Choose a role.", "err.needward": "A nurse needs at least one ward.",
		"err.staffname": "A name has 1 to 64 letters, digits, '.', '_' or '-'.", "err.self": "Change your own account under Password.",
		"nav.wards": "Wards", "nav.audit": "Audit log", "nav.password": "Password", "nav.logout": "Log out",
		"role.admin": "Administrator", "role.nurse": "Nurse",
		"title.login": "Log in", "title.error": "Error", "title.password": "Change password",
		"title.home": "Wards", "title.ward": "Ward", "title.enroll": "Pair a tablet", "title.pair": "Pairing request",
		"title.bed": "Bed", "title.discharge": "Discharge", "title.contact": "Family contact", "title.audit": "Audit log",
		"time.today": "today %s",
		"lang.en":    "English", "lang.it": "Italian",
		"common.done": "Done", "common.save": "Save", "common.cancel": "Cancel", "common.copy": "Copy", "common.copied": "Copied", "enroll.paired": "Paired: %s is now a tablet of %s.", "enroll.pairedbed": "Paired: %s is now the tablet of %s.", "enroll.waiting": "Waiting for the tablet to pair…", "err.since": "That pairing check has no time.", "audit.removed": "removed since", "tablet.actions": "Actions",

		"login.title": "Nurse console", "login.hint": "Log in with your ward account.",
		"login.name": "Name", "login.password": "Password", "login.submit": "Log in",
		"error.title": "Something is not right", "error.back": "Back to the wards",
		"password.title": "Change password", "password.hint": "At least 10 characters. You will be logged out everywhere and log in again.",
		"password.current": "Current password", "password.new": "New password", "password.repeat": "New password again", "password.submit": "Change password",

		"home.title": "Wards", "home.none.admin": "No wards yet. Create the first one below.",
		"home.none.nurse": "Your account has no ward yet. Ask an administrator to add you to your ward.",
		"home.counts":     "%d beds · %d patients", "home.tablets": "%d of %d tablets online", "home.flagged": "%d offline too long",
		"home.new": "New ward", "home.wardname": "Ward name", "home.create": "Create ward",

		"ward.beds": "Beds", "ward.nobeds": "No beds yet.", "bed.label": "Bed %s", "ward.free": "free",
		"ward.bedname": "New bed (name or number)", "ward.addbed": "Add bed",
		"ward.pair": "Pair a tablet", "ward.pairhint": "Show a QR code for the tablet to scan. It pairs one tablet, once.",
		"ward.validfor": "Valid for", "ward.min15": "15 minutes", "ward.hour1": "1 hour", "ward.hours8": "8 hours (to print)", "ward.hours24": "24 hours (to print)",
		"err.minutes": "Choose how long the code stays valid.",
		"ward.pairto": "Pair to", "ward.wardonly": "The ward only (no bed)", "ward.showqr": "Show QR code",
		"ward.tablets": "Tablets", "ward.notablets": "No tablets paired yet.",
		"ward.pin": "Tablet PIN", "ward.pinset": "The ward's tablets have a nurse PIN.", "ward.pinnone": "No nurse PIN yet (one set before this version no longer counts): set one. Until then the tablets' nurse panel stays locked.",
		"ward.pinhint": "Nurses type it on a tablet to reach its settings. 6 to 12 digits; the tablets get it at once.",
		"ward.pinnew":  "New PIN", "ward.pinrepeat": "New PIN again", "ward.pinsave": "Set PIN",
		"err.pin": "A PIN has 6 to 12 digits.", "err.pinsdiffer": "The two PINs differ.", "ok.pin": "PIN set. The tablets have it now.",
		"action.set-nurse-pin":     "set the tablet PIN",
		"action.create-guest-link": "made a guest link", "action.revoke-guest-link": "stopped a guest link",
		"action.group-calls-on": "allowed group calls", "action.group-calls-off": "turned group calls off",
		"action.may-join-on": "allowed joining calls", "action.may-join-off": "stopped joining calls",
		"tablet.none": "no tablet", "tablet.name": "Tablet", "tablet.bed": "Bed", "tablet.state": "State", "tablet.battery": "Battery",
		"tablet.version": "App", "tablet.lastseen": "Last seen", "tablet.lastcall": "Last call",
		"tablet.revokeconfirm": "Revoke this tablet? It stops working at once and must be paired again.",
		"tablet.revoke":        "Revoke", "tablet.revoked": "revoked", "tablet.online": "online", "tablet.offline": "offline",
		"tablet.offlinelong": "offline > 10 min", "tablet.flaghint": "This tablet has been offline for more than 10 minutes: check its power and Wi-Fi.",

		"enroll.title": "Pair a tablet to %s", "enroll.titlebed": "Pair a tablet to %s, bed %s",
		"enroll.hint":  "On the tablet, open the pairing screen and point its camera at this code.",
		"enroll.qralt": "Pairing QR code", "enroll.orcode": "or type this code on the tablet:",
		"enroll.valid": "Valid once, until %s.", "enroll.print": "Print",

		"pair.title": "Pair this tablet", "pair.hint": "Check that the tablet shows this code, then choose where it goes.",
		"pair.fingerprint": "Tablet key:", "pair.to": "Pair to", "pair.choose": "Choose…", "pair.wardonly": "%s (ward only)",
		"pair.approve": "Approve pairing", "pair.done": "Approved: the tablet pairs to %s.",
		"pair.donehint": "The tablet finishes by itself within a minute and then shows where it is paired.",

		"audit.title": "Audit log", "audit.all": "Every staff action, newest first.", "audit.own": "Your actions, newest first.",
		"audit.none": "Nothing yet.", "audit.when": "When", "audit.who": "Who", "audit.what": "What", "audit.target": "On", "audit.server": "server",
		"action.login": "logged in", "action.logout": "logged out", "action.login-failed": "wrong password",
		"action.login-locked": "login while locked", "action.lockout": "account locked", "action.change-password": "changed password",
		"action.add-staff": "added an account", "action.reset-password": "password reset", "action.create-ward": "created a ward", "action.create-bed": "added a bed",
		"action.enroll": "showed a pairing code", "action.approve-pairing": "approved a pairing request",
		"action.revoke-device": "revoked a tablet", "action.admit": "admitted a patient", "action.update-patient": "changed a patient",
		"action.transfer": "transferred a patient", "action.discharge": "discharged a patient", "action.add-contact": "added a family contact",
		"action.update-contact": "changed a family contact", "action.delete-contact": "removed a family contact",
		"action.create-link": "made a family link", "action.revoke-link": "revoked a family link",

		"bed.tablet": "Tablet", "bed.pairqr": "Pairing QR code",
		"admit.title": "Admit a patient", "admit.submit": "Admit",
		"patient.title": "Patient", "patient.firstname": "First name only", "patient.language": "Language",
		"patient.visiting": "Visiting hours", "patient.visitinghint": "Shown to the family, e.g. 09:00-20:00. Empty: any time.",
		"patient.autoanswer": "Answer family calls automatically (for contacts allowed below)",
		"family.title":       "Family", "family.none": "No family contacts yet.", "family.add": "Add a family contact", "family.addsubmit": "Add contact",
		"contact.name": "Name", "contact.relation": "Relation", "contact.relationhint": "daughter, son, friend…",
		"contact.language": "Their language", "contact.photo": "Photo", "contact.photohint": "JPEG or PNG, up to 5 MB.",
		"contact.autoanswer": "Their calls are answered automatically", "contact.autoanswer.short": "auto-answer",
		"patient.groupcalls": "Group calls: family members may join a call in progress, and guests may be invited",
		"contact.mayjoin":    "May join calls in progress (and add others to a call)",
		"guest.title":        "Guests for one call", "guest.hint": "A link for an interpreter or a chaplain: it can only join a call of this patient that is in progress, and stops working when that call ends.",
		"guest.name": "Guest's name", "guest.role": "Role", "guest.rolehint": "e.g. Interpreter", "guest.hours": "%d h",
		"guest.make": "Make guest link", "guest.revokeconfirm": "Stop this guest link? A guest in a call leaves it.",
		"guest.state.active": "active", "guest.state.expired": "expired", "guest.state.revoked": "stopped", "guest.state.spent": "used",
		"guest.incall": "joined a call", "guest.groupoff": "Group calls are off for this patient: turn them on below to invite a guest.",
		"guest.label": "Guest", "calls.participants": "Participants", "calls.tablet": "tablet",
		"msg.guest":     "Hello %s, this is the %s ward. With this link you can join a video call with %s once it has started:\n%s\nOpen it in your phone or computer browser and tap Join. It works for one call, until %s.",
		"err.guestname": "Please give the guest's name (up to 64 characters).", "err.hours": "Choose how many hours the link stays valid (1 to 12).",
		"err.groupcallsoff": "Group calls are off for this patient.", "ok.guestrevoked": "Guest link stopped.",
		"contact.edit": "Change contact", "contact.delete": "Remove contact",
		"contact.deletehint": "Removing the contact also stops their links.", "contact.deleteconfirm": "Remove %s and stop their links?",
		"link.active": "link active", "link.nolink": "no link",
		"calls.title": "Calls", "calls.none": "No calls yet.", "calls.when": "When", "calls.who": "Who", "calls.dir": "Direction",
		"calls.duration": "Length", "calls.end": "End", "calls.unanswered": "not answered",
		"dir.from-family": "family → patient", "dir.from-patient": "patient → family",
		"reason.hangup": "ended", "reason.declined": "declined", "reason.cancelled": "cancelled", "reason.missed": "missed",
		"reason.failed": "failed", "reason.offline": "offline", "reason.busy": "busy", "reason.elsewhere": "answered elsewhere",
		"transfer.title": "Move to another bed", "transfer.to": "New bed", "transfer.submit": "Move patient",
		"transfer.nofree": "No free bed in your wards.",
		"discharge.title": "Discharge", "discharge.hint": "Wipes the bed's tablet and stops every family link.",
		"discharge.button":   "Discharge %s…",
		"discharge.question": "Discharge %s from %s, bed %s?", "discharge.wipe": "The tablet of bed %s is wiped: photos, contacts and call history.",
		"discharge.notablet": "This bed has no tablet.", "discharge.links": "Every family link stops working (contacts: %d).",
		"discharge.final": "This cannot be undone.", "discharge.confirm": "Yes, discharge %s from bed %s",

		"link.title": "Family links", "link.none": "No link yet.", "link.new.title": "Link for %s",
		"link.new.once": "Send it now: for safety this link is shown only once. You can always make a new one.",
		"link.qralt":    "Family link QR code", "link.url": "Link", "link.message": "Message to send",
		"link.copymessage": "Copy message", "link.expires": "expires %s", "link.created": "made %s",
		"link.state.active": "active", "link.state.expired": "expired", "link.state.revoked": "revoked",
		"link.revokeconfirm": "Stop this link? The family can no longer call with it.", "link.revoke": "Stop link",
		"link.validfor": "Valid for", "link.days": "%d days", "link.replace": "Stop the old links", "link.newbutton": "Make a new link",
		"msg.family": "Hello %s, this is the %s ward. With this link you can make video calls with %s:\n%s\nOpen it in your phone or computer browser and tap Call. It works until %s. Please do not share it.",

		"ok.loggedout": "You are logged out.", "ok.password": "Password changed. Log in with the new one.",
		"ok.ward": "Ward created.", "ok.bed": "Bed added.", "ok.admitted": "Patient admitted.", "ok.saved": "Saved.",
		"ok.transferred": "Patient moved.", "ok.discharged": "Patient discharged. The tablet is being wiped.", "ok.dischargednotablet": "Patient discharged. The bed has no tablet.", "ok.dischargedoffline": "Patient discharged. The tablet is offline: it will be wiped as soon as it connects.", "wipe.pending": "The tablet has not connected since the discharge: it still holds the patient's photos and contacts. Reload this page to check again.", "wipe.done": "The tablet connected at %s and was wiped.",
		"ok.contact": "Contact added.", "ok.revoked": "Tablet revoked.", "ok.linkrevoked": "Link stopped.",
		"ok.contactdeleted": "Contact removed.",

		"err.notfound": "Not found, or not in your wards.", "err.forbidden": "Only an administrator can do this.",
		"err.csrf":         "This form has expired. Reload the page and try again.",
		"err.photosize":    "The photo is too large: up to 5 MB please.",
		"err.phototype":    "The photo must be a JPEG or PNG image (.jpg, .jpeg or .png).",
		"err.photopixels":  "The photo has too many pixels. Please use a smaller picture.",
		"err.photocorrupt": "The photo cannot be read. Please try another picture.",
		"err.badinput":     "Please check the form.", "err.conflict": "That was changed meanwhile or is already taken. Reload and check.",
		"err.login": "Wrong name or password.", "err.locked": "Too many wrong passwords: this account is locked for a while. Try again in 15 minutes.",
		"err.ratelimited": "Too many attempts. Wait a minute and try again.", "err.full": "The server's disk is full. Tell IT.",
		"err.internal":        "Something went wrong on the server. Try again.",
		"err.currentpassword": "The current password is wrong.", "err.shortpassword": "The new password needs at least 10 characters.",
		"err.passwordsdiffer": "The two new passwords differ.", "err.name": "Please give a name (up to 100 characters).",
		"err.firstname":   "Please give the patient's first name (up to 64 characters).",
		"err.contactname": "Please give the contact's name (up to 64 characters).", "err.text": "A field is too long.",
		"err.language": "Choose a language from the list.", "err.bedtaken": "That bed already has a patient.",
		"err.nameexists": "That name is already used.", "err.chooseplace": "Choose a ward or bed.",
		"err.codeinuse":   "This code is already approved and waiting for its tablet.",
		"err.pairrequest": "This pairing request is not valid. Scan the tablet's code again.",
		"err.samebed":     "The patient is already in that bed.", "err.moved": "The patient is no longer in this bed. Reload and check.",
		"err.discharged": "This patient has been discharged.", "err.days": "Choose how long the link stays valid.",
	},
	"it": {
		"nav.staff": "Personale", "title.staff": "Personale", "staff.title": "Account del personale",
		"staff.password.title": "Password monouso per %s", "staff.password.once": "Consegnala ora: si vede una sola volta. Si può cambiare in Password.",
		"staff.you": "tu", "staff.locked": "bloccato", "staff.edit": "Modifica %s", "staff.reset": "Nuova password monouso",
		"staff.resetconfirm": "Dare a %s una nuova password? Quella vecchia smette di funzionare e l'account viene disconnesso.",
		"staff.add":          "Nuovo account", "staff.namehint": "Lettere, cifre, '.', '_' e '-'.", "staff.addsubmit": "Crea account",
		"staff.role": "Ruolo", "staff.wards": "Reparti (un infermiere vede solo questi)", "action.update-staff": "ha modificato un account",
		"err.role": "Scegli un ruolo.", "err.needward": "Un infermiere ha bisogno di almeno un reparto.",
		"err.staffname": "Un nome ha da 1 a 64 lettere, cifre, '.', '_' o '-'.", "err.self": "Modifica il tuo account in Password.",
		"nav.wards": "Reparti", "nav.audit": "Registro attività", "nav.password": "Password", "nav.logout": "Esci",
		"role.admin": "Amministratore", "role.nurse": "Infermiere",
		"title.login": "Accesso", "title.error": "Errore", "title.password": "Cambia password",
		"title.home": "Reparti", "title.ward": "Reparto", "title.enroll": "Associa un tablet", "title.pair": "Richiesta di associazione",
		"title.bed": "Letto", "title.discharge": "Dimissione", "title.contact": "Familiare", "title.audit": "Registro attività",
		"time.today": "oggi %s",
		"lang.en":    "Inglese", "lang.it": "Italiano",
		"common.done": "Fatto", "common.save": "Salva", "common.cancel": "Annulla", "common.copy": "Copia", "common.copied": "Copiato", "enroll.paired": "Associato: %s ora è un tablet di %s.", "enroll.pairedbed": "Associato: %s ora è il tablet del %s.", "enroll.waiting": "In attesa che il tablet si associ…", "err.since": "Quella verifica di associazione non ha un orario.", "audit.removed": "poi eliminato", "tablet.actions": "Azioni",

		"login.title": "Console infermieri", "login.hint": "Accedi con l'account del tuo reparto.",
		"login.name": "Nome", "login.password": "Password", "login.submit": "Accedi",
		"error.title": "Qualcosa non va", "error.back": "Torna ai reparti",
		"password.title": "Cambia password", "password.hint": "Almeno 10 caratteri. Verrai disconnesso ovunque e dovrai accedere di nuovo.",
		"password.current": "Password attuale", "password.new": "Nuova password", "password.repeat": "Ripeti la nuova password", "password.submit": "Cambia password",

		"home.title": "Reparti", "home.none.admin": "Nessun reparto. Crea il primo qui sotto.",
		"home.none.nurse": "Il tuo account non ha ancora un reparto. Chiedi a un amministratore di aggiungerti.",
		"home.counts":     "%d letti · %d pazienti", "home.tablets": "%d tablet su %d in linea", "home.flagged": "%d non in linea da troppo",
		"home.new": "Nuovo reparto", "home.wardname": "Nome del reparto", "home.create": "Crea reparto",

		"ward.beds": "Letti", "ward.nobeds": "Ancora nessun letto.", "bed.label": "Letto %s", "ward.free": "libero",
		"ward.bedname": "Nuovo letto (nome o numero)", "ward.addbed": "Aggiungi letto",
		"ward.pair": "Associa un tablet", "ward.pairhint": "Mostra un codice QR da inquadrare col tablet. Associa un solo tablet, una volta.",
		"ward.validfor": "Valido per", "ward.min15": "15 minuti", "ward.hour1": "1 ora", "ward.hours8": "8 ore (da stampare)", "ward.hours24": "24 ore (da stampare)",
		"err.minutes": "Scegli per quanto tempo vale il codice.",
		"ward.pairto": "Associa a", "ward.wardonly": "Solo il reparto (nessun letto)", "ward.showqr": "Mostra codice QR",
		"ward.tablets": "Tablet", "ward.notablets": "Ancora nessun tablet associato.",
		"ward.pin": "PIN dei tablet", "ward.pinset": "I tablet del reparto hanno un PIN per gli infermieri.", "ward.pinnone": "Ancora nessun PIN per gli infermieri (uno impostato prima di questa versione non vale più): impostane uno. Fino ad allora il pannello infermieri dei tablet resta bloccato.",
		"ward.pinhint": "Gli infermieri lo digitano sul tablet per aprirne le impostazioni. Da 6 a 12 cifre; i tablet lo ricevono subito.",
		"ward.pinnew":  "Nuovo PIN", "ward.pinrepeat": "Nuovo PIN di nuovo", "ward.pinsave": "Imposta PIN",
		"err.pin": "Un PIN ha da 6 a 12 cifre.", "err.pinsdiffer": "I due PIN sono diversi.", "ok.pin": "PIN impostato. I tablet lo hanno già.",
		"action.set-nurse-pin":     "ha impostato il PIN dei tablet",
		"action.create-guest-link": "ha creato un link ospite", "action.revoke-guest-link": "ha fermato un link ospite",
		"action.group-calls-on": "ha permesso le chiamate di gruppo", "action.group-calls-off": "ha disattivato le chiamate di gruppo",
		"action.may-join-on": "ha permesso di unirsi alle chiamate", "action.may-join-off": "ha tolto il permesso di unirsi alle chiamate",
		"tablet.none": "nessun tablet", "tablet.name": "Tablet", "tablet.bed": "Letto", "tablet.state": "Stato", "tablet.battery": "Batteria",
		"tablet.version": "App", "tablet.lastseen": "Ultimo contatto", "tablet.lastcall": "Ultima chiamata",
		"tablet.revokeconfirm": "Revocare questo tablet? Smette subito di funzionare e va associato di nuovo.",
		"tablet.revoke":        "Revoca", "tablet.revoked": "revocato", "tablet.online": "in linea", "tablet.offline": "non in linea",
		"tablet.offlinelong": "non in linea > 10 min", "tablet.flaghint": "Questo tablet non è in linea da più di 10 minuti: controlla alimentazione e Wi-Fi.",

		"enroll.title": "Associa un tablet a %s", "enroll.titlebed": "Associa un tablet a %s, letto %s",
		"enroll.hint":  "Sul tablet apri la schermata di associazione e inquadra questo codice.",
		"enroll.qralt": "Codice QR di associazione", "enroll.orcode": "oppure digita questo codice sul tablet:",
		"enroll.valid": "Vale una volta, scade %s.", "enroll.print": "Stampa",

		"pair.title": "Associa questo tablet", "pair.hint": "Controlla che il tablet mostri questo codice, poi scegli dove va.",
		"pair.fingerprint": "Chiave del tablet:", "pair.to": "Associa a", "pair.choose": "Scegli…", "pair.wardonly": "%s (solo reparto)",
		"pair.approve": "Approva l'associazione", "pair.done": "Approvato: il tablet si associa a %s.",
		"pair.donehint": "Il tablet completa da solo entro un minuto e poi mostra dove è associato.",

		"audit.title": "Registro attività", "audit.all": "Tutte le azioni del personale, dalla più recente.", "audit.own": "Le tue azioni, dalla più recente.",
		"audit.none": "Ancora niente.", "audit.when": "Quando", "audit.who": "Chi", "audit.what": "Cosa", "audit.target": "Su", "audit.server": "server",
		"action.login": "ha effettuato l'accesso", "action.logout": "è uscito", "action.login-failed": "password errata",
		"action.login-locked": "accesso con account bloccato", "action.lockout": "account bloccato", "action.change-password": "ha cambiato la password",
		"action.add-staff": "ha aggiunto un account", "action.reset-password": "password reimpostata", "action.create-ward": "ha creato un reparto", "action.create-bed": "ha aggiunto un letto",
		"action.enroll": "ha mostrato un codice di associazione", "action.approve-pairing": "ha approvato un'associazione",
		"action.revoke-device": "ha revocato un tablet", "action.admit": "ha ricoverato un paziente", "action.update-patient": "ha modificato un paziente",
		"action.transfer": "ha spostato un paziente", "action.discharge": "ha dimesso un paziente", "action.add-contact": "ha aggiunto un familiare",
		"action.update-contact": "ha modificato un familiare", "action.delete-contact": "ha rimosso un familiare",
		"action.create-link": "ha creato un link per i familiari", "action.revoke-link": "ha revocato un link per i familiari",

		"bed.tablet": "Tablet", "bed.pairqr": "Codice QR di associazione",
		"admit.title": "Ricovera un paziente", "admit.submit": "Ricovera",
		"patient.title": "Paziente", "patient.firstname": "Solo il nome", "patient.language": "Lingua",
		"patient.visiting": "Orari di visita", "patient.visitinghint": "Mostrati ai familiari, es. 09:00-20:00. Vuoto: sempre.",
		"patient.autoanswer": "Rispondi automaticamente alle chiamate (per i familiari abilitati)",
		"family.title":       "Familiari", "family.none": "Ancora nessun familiare.", "family.add": "Aggiungi un familiare", "family.addsubmit": "Aggiungi",
		"contact.name": "Nome", "contact.relation": "Parentela", "contact.relationhint": "figlia, figlio, amico…",
		"contact.language": "La sua lingua", "contact.photo": "Foto", "contact.photohint": "JPEG o PNG, fino a 5 MB.",
		"contact.autoanswer": "Le sue chiamate hanno risposta automatica", "contact.autoanswer.short": "risposta automatica",
		"patient.groupcalls": "Chiamate di gruppo: i familiari possono unirsi a una chiamata in corso e si possono invitare ospiti",
		"contact.mayjoin":    "Può unirsi alle chiamate in corso (e aggiungere altri a una chiamata)",
		"guest.title":        "Ospiti per una chiamata", "guest.hint": "Un link per un interprete o un cappellano: può solo unirsi a una chiamata in corso di questo paziente e smette di funzionare quando quella chiamata finisce.",
		"guest.name": "Nome dell'ospite", "guest.role": "Ruolo", "guest.rolehint": "es. Interprete", "guest.hours": "%d h",
		"guest.make": "Crea link ospite", "guest.revokeconfirm": "Fermare questo link ospite? Un ospite in chiamata ne esce.",
		"guest.state.active": "attivo", "guest.state.expired": "scaduto", "guest.state.revoked": "fermato", "guest.state.spent": "usato",
		"guest.incall": "in una chiamata", "guest.groupoff": "Le chiamate di gruppo sono disattivate per questo paziente: attivale qui sotto per invitare un ospite.",
		"guest.label": "Ospite", "calls.participants": "Partecipanti", "calls.tablet": "tablet",
		"msg.guest":     "Buongiorno %s, le scriviamo dal reparto %s. Con questo link può unirsi a una videochiamata con %s quando è iniziata:\n%s\nLo apra nel browser del telefono o del computer e tocchi Unisciti. Vale per una chiamata, fino al %s.",
		"err.guestname": "Indica il nome dell'ospite (fino a 64 caratteri).", "err.hours": "Scegli per quante ore vale il link (da 1 a 12).",
		"err.groupcallsoff": "Le chiamate di gruppo sono disattivate per questo paziente.", "ok.guestrevoked": "Link ospite fermato.",
		"contact.edit": "Modifica familiare", "contact.delete": "Rimuovi familiare",
		"contact.deletehint": "Rimuovendo il familiare si fermano anche i suoi link.", "contact.deleteconfirm": "Rimuovere %s e fermare i suoi link?",
		"link.active": "link attivo", "link.nolink": "nessun link",
		"calls.title": "Chiamate", "calls.none": "Ancora nessuna chiamata.", "calls.when": "Quando", "calls.who": "Chi", "calls.dir": "Direzione",
		"calls.duration": "Durata", "calls.end": "Fine", "calls.unanswered": "senza risposta",
		"dir.from-family": "familiare → paziente", "dir.from-patient": "paziente → familiare",
		"reason.hangup": "conclusa", "reason.declined": "rifiutata", "reason.cancelled": "annullata", "reason.missed": "persa",
		"reason.failed": "fallita", "reason.offline": "non in linea", "reason.busy": "occupato", "reason.elsewhere": "risposta altrove",
		"transfer.title": "Sposta in un altro letto", "transfer.to": "Nuovo letto", "transfer.submit": "Sposta paziente",
		"transfer.nofree": "Nessun letto libero nei tuoi reparti.",
		"discharge.title": "Dimissione", "discharge.hint": "Cancella i dati dal tablet del letto e ferma ogni link dei familiari.",
		"discharge.button":   "Dimetti %s…",
		"discharge.question": "Dimettere %s da %s, letto %s?", "discharge.wipe": "Il tablet del letto %s viene cancellato: foto, familiari e chiamate.",
		"discharge.notablet": "Questo letto non ha un tablet.", "discharge.links": "Ogni link dei familiari smette di funzionare (familiari: %d).",
		"discharge.final": "Non si può annullare.", "discharge.confirm": "Sì, dimetti %s dal letto %s",

		"link.title": "Link per i familiari", "link.none": "Ancora nessun link.", "link.new.title": "Link per %s",
		"link.new.once": "Invialo ora: per sicurezza questo link si vede una sola volta. Puoi sempre crearne uno nuovo.",
		"link.qralt":    "Codice QR del link", "link.url": "Link", "link.message": "Messaggio da inviare",
		"link.copymessage": "Copia messaggio", "link.expires": "scade %s", "link.created": "creato %s",
		"link.state.active": "attivo", "link.state.expired": "scaduto", "link.state.revoked": "revocato",
		"link.revokeconfirm": "Fermare questo link? Il familiare non potrà più chiamare con questo.", "link.revoke": "Ferma link",
		"link.validfor": "Valido per", "link.days": "%d giorni", "link.replace": "Ferma i link precedenti", "link.newbutton": "Crea un nuovo link",
		"msg.family": "Ciao %s, ti scriviamo dal reparto %s. Con questo link puoi fare videochiamate con %s:\n%s\nAprilo nel browser del telefono o del computer e tocca Chiama. Funziona fino al %s. Per favore non condividerlo.",

		"ok.loggedout": "Sei uscito.", "ok.password": "Password cambiata. Accedi con quella nuova.",
		"ok.ward": "Reparto creato.", "ok.bed": "Letto aggiunto.", "ok.admitted": "Paziente ricoverato.", "ok.saved": "Salvato.",
		"ok.transferred": "Paziente spostato.", "ok.discharged": "Paziente dimesso. Il tablet viene cancellato.", "ok.dischargednotablet": "Paziente dimesso. Il letto non ha un tablet.", "ok.dischargedoffline": "Paziente dimesso. Il tablet non è connesso: verrà cancellato appena si connette.", "wipe.pending": "Il tablet non si è connesso dopo la dimissione: contiene ancora foto e familiari del paziente. Ricarica la pagina per controllare di nuovo.", "wipe.done": "Il tablet si è connesso alle %s ed è stato cancellato.",
		"ok.contact": "Familiare aggiunto.", "ok.revoked": "Tablet revocato.", "ok.linkrevoked": "Link fermato.",
		"ok.contactdeleted": "Familiare rimosso.",

		"err.notfound": "Non trovato, o non nei tuoi reparti.", "err.forbidden": "Solo un amministratore può farlo.",
		"err.csrf":         "Questo modulo è scaduto. Ricarica la pagina e riprova.",
		"err.photosize":    "La foto è troppo grande: massimo 5 MB.",
		"err.phototype":    "La foto deve essere un'immagine JPEG o PNG (.jpg, .jpeg o .png).",
		"err.photopixels":  "La foto ha troppi pixel. Usa un'immagine più piccola.",
		"err.photocorrupt": "Impossibile leggere la foto. Prova con un'altra immagine.",
		"err.badinput":     "Controlla il modulo.", "err.conflict": "È stato modificato nel frattempo o è già occupato. Ricarica e controlla.",
		"err.login": "Nome o password errati.", "err.locked": "Troppe password errate: l'account è bloccato per un po'. Riprova tra 15 minuti.",
		"err.ratelimited": "Troppi tentativi. Attendi un minuto e riprova.", "err.full": "Il disco del server è pieno. Avvisa l'informatica.",
		"err.internal":        "Errore del server. Riprova.",
		"err.currentpassword": "La password attuale è errata.", "err.shortpassword": "La nuova password deve avere almeno 10 caratteri.",
		"err.passwordsdiffer": "Le due nuove password sono diverse.", "err.name": "Indica un nome (massimo 100 caratteri).",
		"err.firstname":   "Indica il nome del paziente (massimo 64 caratteri).",
		"err.contactname": "Indica il nome del familiare (massimo 64 caratteri).", "err.text": "Un campo è troppo lungo.",
		"err.language": "Scegli una lingua dall'elenco.", "err.bedtaken": "Quel letto ha già un paziente.",
		"err.nameexists": "Quel nome è già usato.", "err.chooseplace": "Scegli un reparto o un letto.",
		"err.codeinuse":   "Questo codice è già approvato e attende il suo tablet.",
		"err.pairrequest": "Questa richiesta di associazione non è valida. Inquadra di nuovo il codice del tablet.",
		"err.samebed":     "Il paziente è già in quel letto.", "err.moved": "Il paziente non è più in questo letto. Ricarica e controlla.",
		"err.discharged": "Questo paziente è stato dimesso.", "err.days": "Scegli per quanto tempo vale il link.",
	},
}
