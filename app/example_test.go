package app_test

import (
	"fmt"

	"fyne.io/fyne/v2/test"

	"bedside/app"
	"bedside/app/apptest"
)

// A kiosk wired to fakes, as main wires it to the call engine and enrollment: it starts on
// the home screen when paired, and follows the phone's events.
func ExampleNew() {
	a := test.NewApp()
	defer a.Quit()
	phone := apptest.NewPhone()
	k, err := app.New(app.Config{
		App:      a,
		Phone:    phone,
		Pairer:   &apptest.Pairer{},
		Paired:   true,
		NursePIN: apptest.NewPIN("2580"),
		Patient: app.Patient{Name: "Maria", Language: "it", Contacts: []app.Contact{
			{ID: "c1", Name: "Anna", Relation: "figlia", Online: true},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()
	fmt.Println(k.Screen())
	k.RequestNurse() // what closing the window does
	fmt.Println(k.Screen())
	// Output:
	// home
	// pin
}
